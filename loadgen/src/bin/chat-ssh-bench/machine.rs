//! What a result line says about where it was measured: the CPU, the cores, the commit.

use std::process::Command;

#[derive(Debug, Clone, Default)]
pub struct Machine {
    /// The CPU as /proc/cpuinfo names it.
    pub cpu: String,
    pub cores: usize,
    /// `git rev-parse --short HEAD` of the working directory, `+dirty` if tracked files
    /// differ from it; run the benchmark from the checkout it was built from.
    pub commit: String,
}

impl Machine {
    pub fn read() -> Self {
        Self {
            cpu: std::fs::read_to_string("/proc/cpuinfo")
                .ok()
                .and_then(|info| cpu_model(&info))
                .unwrap_or_else(|| "unknown".to_owned()),
            cores: std::thread::available_parallelism().map_or(0, usize::from),
            commit: commit().unwrap_or_else(|| "unknown".to_owned()),
        }
    }
}

/// The first `model name` of /proc/cpuinfo.
fn cpu_model(cpuinfo: &str) -> Option<String> {
    cpuinfo.lines().find_map(|line| {
        let (key, value) = line.split_once(':')?;
        (key.trim() == "model name").then(|| value.trim().to_owned())
    })
}

fn commit() -> Option<String> {
    let out = Command::new("git")
        .args(["rev-parse", "--short=7", "HEAD"])
        .output()
        .ok()
        .filter(|o| o.status.success())?;
    let hash = String::from_utf8(out.stdout).ok()?.trim().to_owned();
    // Exit code 1 = tracked files differ from HEAD.
    let dirty = Command::new("git")
        .args(["diff", "--quiet", "HEAD", "--"])
        .status()
        .is_ok_and(|s| s.code() == Some(1));
    Some(if dirty { format!("{hash}+dirty") } else { hash })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_cpu_is_the_first_model_name() {
        let info = "processor\t: 0\nvendor_id\t: GenuineIntel\nmodel name\t: Intel(R) Xeon(R) Processor\n\nprocessor\t: 1\nmodel name\t: other\n";
        assert_eq!(
            cpu_model(info).as_deref(),
            Some("Intel(R) Xeon(R) Processor")
        );
        assert_eq!(cpu_model("processor : 0\n"), None);
    }
}
