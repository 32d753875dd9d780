//! The teamtune store (work in progress).
