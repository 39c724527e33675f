//! The `--max-memory` option: long commands compare what their models and training buffers will
//! allocate with the memory they may use, before allocating, and refuse with a clear error instead
//! of being killed by the kernel (or aborted by the allocator) minutes into a run.
//!
//! The limit is `--max-memory SIZE` when given; otherwise the least of what the system reports:
//! `MemAvailable` in `/proc/meminfo`, the cgroup's `memory.max` less `memory.current` (containers),
//! and the process's address-space limit (`ulimit -v`) less its current size. Where none can be
//! read (not Linux), only the fixed model-size caps apply.

use crate::error::{CliError, Result};
use std::sync::OnceLock;

static FLAG: OnceLock<Option<u64>> = OnceLock::new();

/// Record `--max-memory` (called once, from `main`).
pub fn set_flag(limit: Option<u64>) {
    let _ = FLAG.set(limit);
}

/// Parse a size: a number of bytes with an optional unit `K`, `M`, `G`, `T` (powers of 1024; `KiB`,
/// `MB`… are read the same way), e.g. `512M`, `1.5G`, `2000000000`.
///
/// # Errors
/// A message saying what is accepted (clap adds the flag's name).
pub fn parse_size(s: &str) -> std::result::Result<u64, String> {
    let t = s.trim();
    let split = t.find(|c: char| !(c.is_ascii_digit() || c == '.')).unwrap_or(t.len());
    let (num, unit) = t.split_at(split);
    let shift = match unit.trim().to_ascii_lowercase().trim_end_matches("ib").trim_end_matches('b') {
        "" => 0,
        "k" => 10,
        "m" => 20,
        "g" => 30,
        "t" => 40,
        _ => {
            return Err(format!(
                "{s:?}: a size is a number with an optional unit K, M, G or T (e.g. 512M, 8G)"
            ))
        }
    };
    let v: f64 =
        num.parse().map_err(|_| format!("{s:?}: a size is a number with an optional unit K, M, G or T"))?;
    let bytes = v * (1u64 << shift) as f64;
    if !(bytes.is_finite() && bytes >= 1.0 && bytes < u64::MAX as f64) {
        return Err(format!("{s:?}: the size must be at least 1 byte and below 16 EiB"));
    }
    Ok(bytes as u64)
}

/// Human-readable bytes (binary units).
pub fn human(bytes: u64) -> String {
    const UNITS: [&str; 5] = ["B", "KiB", "MiB", "GiB", "TiB"];
    let mut v = bytes as f64;
    let mut u = 0;
    while v >= 1024.0 && u + 1 < UNITS.len() {
        v /= 1024.0;
        u += 1;
    }
    if u == 0 {
        format!("{bytes} B")
    } else {
        format!("{v:.1} {}", UNITS[u])
    }
}

/// The memory this process may still use, and where the figure comes from.
fn limit() -> Option<(u64, String)> {
    if let Some(Some(b)) = FLAG.get() {
        return Some((*b, "--max-memory".into()));
    }
    let mut best: Option<(u64, String)> = None;
    let mut consider = |v: Option<u64>, what: &str| {
        if let Some(v) = v {
            if best.as_ref().is_none_or(|(b, _)| v < *b) {
                best = Some((v, what.to_owned()));
            }
        }
    };
    consider(mem_available(), "MemAvailable in /proc/meminfo");
    consider(cgroup_headroom(), "the cgroup's memory.max less memory.current");
    consider(address_space_headroom(), "the address-space limit (ulimit -v) less this process's size");
    best
}

fn read_small(path: &str) -> Option<String> {
    use std::io::Read;
    let mut s = String::new();
    std::fs::File::open(path).ok()?.take(1 << 16).read_to_string(&mut s).ok()?;
    Some(s)
}

/// A `Key:   N kB` line of a `/proc` file, in bytes.
fn kb_field(text: &str, key: &str) -> Option<u64> {
    let line = text.lines().find(|l| l.starts_with(key))?;
    let kb: u64 = line[key.len()..].trim().trim_end_matches("kB").trim().parse().ok()?;
    kb.checked_mul(1024)
}

fn mem_available() -> Option<u64> {
    kb_field(&read_small("/proc/meminfo")?, "MemAvailable:")
}

fn cgroup_headroom() -> Option<u64> {
    let max: u64 = read_small("/sys/fs/cgroup/memory.max")?.trim().parse().ok()?;
    let current: u64 = read_small("/sys/fs/cgroup/memory.current")?.trim().parse().ok()?;
    Some(max.saturating_sub(current))
}

fn address_space_headroom() -> Option<u64> {
    let limits = read_small("/proc/self/limits")?;
    let line = limits.lines().find(|l| l.starts_with("Max address space"))?;
    let soft: u64 = line["Max address space".len()..].split_whitespace().next()?.parse().ok()?;
    let size = kb_field(&read_small("/proc/self/status")?, "VmSize:")?;
    Some(soft.saturating_sub(size))
}

/// Refuse `what` when it would allocate `bytes` (`None`: more than `u64` counts) beyond what
/// [`limit`] allows; `what` names the model, e.g. "a 784×500 autoencoder and its training
/// buffers".
///
/// # Errors
/// [`CliError::Usage`] saying how much is needed, how much may be used and where that figure comes
/// from.
pub fn check(what: &str, bytes: Option<u64>) -> Result<()> {
    let Some((avail, source)) = limit() else { return Ok(()) };
    match bytes {
        Some(b) if b <= avail => Ok(()),
        Some(b) => {
            let advice = if source == "--max-memory" {
                "use a smaller model, or raise --max-memory"
            } else {
                "use a smaller model, or set --max-memory if more is available (swap)"
            };
            Err(CliError::Usage(format!(
                "{what} need about {} of memory, more than the {} this run may use ({source}); {advice}",
                human(b),
                human(avail)
            )))
        }
        None => Err(CliError::Usage(format!(
            "{what} need more memory than any machine has (the size overflows 64 bits)"
        ))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_parse_with_binary_units() {
        assert_eq!(parse_size("512"), Ok(512));
        assert_eq!(parse_size("1K"), Ok(1024));
        assert_eq!(parse_size("512M"), Ok(512 << 20));
        assert_eq!(parse_size("1.5G"), Ok(3 << 29));
        assert_eq!(parse_size("2GiB"), Ok(2 << 30));
        assert_eq!(parse_size("2 gb"), Ok(2 << 30));
        assert_eq!(parse_size("1t"), Ok(1 << 40));
        for bad in ["", "G", "12X", "-1G", "0", "1e3", "nan", "99999999T"] {
            assert!(parse_size(bad).is_err(), "{bad:?} accepted");
        }
    }

    #[test]
    fn human_sizes() {
        assert_eq!(human(0), "0 B");
        assert_eq!(human(1023), "1023 B");
        assert_eq!(human(1536), "1.5 KiB");
        assert_eq!(human(3 << 30), "3.0 GiB");
    }

    #[test]
    fn proc_fields_are_read_in_bytes() {
        let text = "MemTotal:       24683792 kB\nMemAvailable:   23740784 kB\n";
        assert_eq!(kb_field(text, "MemAvailable:"), Some(23740784 * 1024));
        assert_eq!(kb_field(text, "Missing:"), None);
    }
}
