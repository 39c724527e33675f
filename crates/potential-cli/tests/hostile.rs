//! The hostile-input catalogue as tests: every case runs the built binary under a memory cap
//! (`setrlimit(RLIMIT_AS)`) and a time limit, and must end as listed — a typed error naming the
//! file, row, field or flag (exit 1, no file left behind, inputs unchanged), or a correct result.
//! No case may panic, hang, allocate without bound or lose a file.
#![cfg(unix)]

mod hostile {
    pub mod faults;
    pub mod flags;
    pub mod inputs;
    pub mod outputs;
    pub mod support;
}
