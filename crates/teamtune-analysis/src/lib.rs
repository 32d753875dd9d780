//! Pure, synchronous analysis of team run records (work in progress).
