#!/bin/sh
# Lists the three largest Rust files under $1 by line count.
dir="${1:-.}"
cat > /dev/null
top=$(find "$dir" -name '*.rs' -type f -exec wc -l {} + | grep -v ' total$' | sort -rn | head -n 3 \
  | awk 'BEGIN{first=1; printf "["} {if(!first) printf ", "; printf "{\"file\": \"%s\", \"lines\": %s}", $2, $1; first=0} END{printf "]"}')
printf '{"output": {"largest": %s}, "tool_calls": 2, "tools_used": ["find", "wc"]}\n' "$top"
