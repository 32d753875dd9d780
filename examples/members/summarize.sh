#!/bin/sh
# Reads the request on stdin and prints a one-line summary of the inspection (plain text
# output: teamtune records it as the member's output, with no tool calls).
req=$(cat)
lines=$(printf '%s' "$req" | grep -o '"rust_lines":[0-9]*' | head -n 1 | cut -d: -f2)
markers=$(printf '%s' "$req" | grep -o '"markers":[0-9]*' | head -n 1 | cut -d: -f2)
echo "The repository has ${lines:-?} lines of Rust and ${markers:-?} TODO/FIXME markers."
