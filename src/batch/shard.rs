//! Which slice of a batch's cases this process runs: `--shard I/N`, or the scheduler's
//! array index (Slurm job arrays, Kubernetes indexed Jobs). Case `k` of the plan (0-based,
//! in plan order) belongs to shard `k mod N`: a deterministic split that spreads each
//! input's sweep over the shards.

use crate::error::InputError;

/// Shard `index` (0-based) of `count`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Shard {
    pub index: usize,
    pub count: usize,
}

/// Most shards a batch may be split into.
pub const MAX_SHARDS: usize = 1_000_000;

impl Shard {
    /// Whether case `k` (0-based, plan order) is this shard's.
    pub fn has(&self, k: usize) -> bool {
        k % self.count == self.index
    }

    /// `I/N` as written on the command line: I from 1 to N.
    pub fn parse(text: &str) -> Result<Shard, InputError> {
        let bad = |why: &str| {
            InputError::new(
                "command line",
                "--shard",
                format!("`{text}` {why}"),
                "write --shard I/N with 1 ≤ I ≤ N, e.g. --shard 2/4",
            )
        };
        let (i, n) = text.split_once('/').ok_or_else(|| bad("is not I/N"))?;
        let (i, n): (usize, usize) =
            (i.trim().parse().map_err(|_| bad("is not I/N"))?, n.trim().parse().map_err(|_| bad("is not I/N"))?);
        if n == 0 || n > MAX_SHARDS {
            return Err(bad(&format!("asks for {n} shards (1 to {MAX_SHARDS})")));
        }
        if i == 0 || i > n {
            return Err(bad(&format!("names shard {i} of {n}: shards are numbered 1 to {n}")));
        }
        Ok(Shard { index: i - 1, count: n })
    }

    /// The shard the scheduler's environment gives (`var` reads it): a Slurm job array
    /// (`SLURM_ARRAY_TASK_ID` within `SLURM_ARRAY_TASK_MIN` … `MAX`, `SLURM_ARRAY_TASK_COUNT`
    /// shards) or a Kubernetes indexed Job (`JOB_COMPLETION_INDEX`, 0-based, with
    /// `shards` = the Job's completions). `None` outside both.
    pub fn from_env(var: impl Fn(&str) -> Option<String>, shards: Option<usize>) -> Result<Option<Shard>, InputError> {
        let num = |name: &str| -> Result<Option<usize>, InputError> {
            match var(name) {
                None => Ok(None),
                Some(v) => v.trim().parse::<usize>().map(Some).map_err(|_| {
                    InputError::new(
                        "environment",
                        name,
                        format!("`{v}` is not a whole number"),
                        "unset it, or give --shard I/N",
                    )
                }),
            }
        };
        if let Some(id) = num("SLURM_ARRAY_TASK_ID")? {
            let min = num("SLURM_ARRAY_TASK_MIN")?.unwrap_or(0);
            let step = num("SLURM_ARRAY_TASK_STEP")?.unwrap_or(1).max(1);
            let (count_env, max) = (num("SLURM_ARRAY_TASK_COUNT")?, num("SLURM_ARRAY_TASK_MAX")?);
            let not_range = |why: String| {
                InputError::new(
                    "environment",
                    "SLURM_ARRAY_TASK_ID",
                    why,
                    "submit the array as a range, --array=0-(N-1) (a step is fine), or give --shard I/N",
                )
            };
            // An array is a range with a step (`--array=0-30:2`); the tasks of a list
            // (`--array=1,4,9`) cannot tell which shard they are.
            let in_range = match max {
                Some(max) if max >= min => Some((max - min) / step + 1),
                Some(_) => return Err(not_range(format!("the array's range {min}-{max:?} is empty"))),
                None => None,
            };
            if let (Some(c), Some(r)) = (count_env, in_range) {
                if c != r {
                    return Err(not_range(format!("the array's {c} tasks are not the range {min}-{max:?}:{step}")));
                }
            }
            if id < min || (id - min) % step != 0 {
                return Err(not_range(format!("task {id} is not in the array's range from {min} in steps of {step}")));
            }
            let index = (id - min) / step;
            let count = match (shards, count_env.or(in_range)) {
                (Some(n), Some(c)) if n != c => {
                    return Err(InputError::new(
                        "command line",
                        "--shards",
                        format!("is {n}, but the Slurm array has {c} tasks"),
                        "leave --shards out inside a Slurm array",
                    ))
                }
                (Some(n), _) => n,
                (None, Some(c)) => c,
                (None, None) => return Err(InputError::new(
                    "environment",
                    "SLURM_ARRAY_TASK_ID",
                    "is set, but neither SLURM_ARRAY_TASK_COUNT nor SLURM_ARRAY_TASK_MAX says how many tasks there are",
                    "give --shards N (the array's size) or --shard I/N",
                )),
            };
            if index >= count || count == 0 || count > MAX_SHARDS {
                return Err(not_range(format!("task {id} is not one of the {count} tasks from {min}")));
            }
            return Ok(Some(Shard { index, count }));
        }
        if let Some(i) = num("JOB_COMPLETION_INDEX")? {
            let Some(n) = shards else {
                return Err(InputError::new(
                    "environment",
                    "JOB_COMPLETION_INDEX",
                    "is set (a Kubernetes indexed Job), but the number of shards is not known",
                    "give --shards N with N = the Job's completions",
                ));
            };
            if n == 0 || n > MAX_SHARDS || i >= n {
                return Err(InputError::new(
                    "environment",
                    "JOB_COMPLETION_INDEX",
                    format!("index {i} is not one of --shards {n}"),
                    "set --shards to the Job's completions",
                ));
            }
            return Ok(Some(Shard { index: i, count: n }));
        }
        if shards.is_some() {
            return Err(InputError::new(
                "command line",
                "--shards",
                "is given, but neither SLURM_ARRAY_TASK_ID nor JOB_COMPLETION_INDEX says which shard this is",
                "give --shard I/N instead, or run inside a job array",
            ));
        }
        Ok(None)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env<'a>(vars: &'a [(&'a str, &'a str)]) -> impl Fn(&str) -> Option<String> + 'a {
        move |k| vars.iter().find(|(n, _)| *n == k).map(|(_, v)| v.to_string())
    }

    #[test]
    fn shards_from_the_command_line_and_the_schedulers() {
        assert_eq!(Shard::parse("2/4").unwrap(), Shard { index: 1, count: 4 });
        for bad in ["0/4", "5/4", "1/0", "x", "1/x"] {
            assert!(Shard::parse(bad).is_err(), "{bad}");
        }
        let s = |v: &[(&str, &str)], n| Shard::from_env(env(v), n);
        assert_eq!(s(&[], None).unwrap(), None);
        assert_eq!(
            s(&[("SLURM_ARRAY_TASK_ID", "7"), ("SLURM_ARRAY_TASK_MIN", "5"), ("SLURM_ARRAY_TASK_COUNT", "4")], None)
                .unwrap(),
            Some(Shard { index: 2, count: 4 })
        );
        assert_eq!(
            s(&[("SLURM_ARRAY_TASK_ID", "3"), ("SLURM_ARRAY_TASK_MIN", "0"), ("SLURM_ARRAY_TASK_MAX", "3")], None)
                .unwrap(),
            Some(Shard { index: 3, count: 4 })
        );
        assert!(s(&[("SLURM_ARRAY_TASK_ID", "9"), ("SLURM_ARRAY_TASK_COUNT", "4")], None).is_err());
        // --array=0-30:2: 16 tasks; task 18 is shard 10 of 16.
        let stepped = [
            ("SLURM_ARRAY_TASK_ID", "18"),
            ("SLURM_ARRAY_TASK_MIN", "0"),
            ("SLURM_ARRAY_TASK_MAX", "30"),
            ("SLURM_ARRAY_TASK_STEP", "2"),
            ("SLURM_ARRAY_TASK_COUNT", "16"),
        ];
        assert_eq!(s(&stepped, None).unwrap(), Some(Shard { index: 9, count: 16 }));
        assert!(s(&stepped, Some(4)).unwrap_err().item.contains("--shards"));
        // --array=1,4,9: not a range.
        let list = [
            ("SLURM_ARRAY_TASK_ID", "4"),
            ("SLURM_ARRAY_TASK_MIN", "1"),
            ("SLURM_ARRAY_TASK_MAX", "9"),
            ("SLURM_ARRAY_TASK_COUNT", "3"),
        ];
        assert!(s(&list, None).is_err());
        assert_eq!(s(&[("JOB_COMPLETION_INDEX", "0")], Some(3)).unwrap(), Some(Shard { index: 0, count: 3 }));
        assert!(s(&[("JOB_COMPLETION_INDEX", "0")], None).unwrap_err().fix.contains("--shards"));
        assert!(s(&[("JOB_COMPLETION_INDEX", "3")], Some(3)).is_err());
        assert!(s(&[], Some(3)).is_err());
        let all: Vec<usize> = (0..10).filter(|&k| Shard { index: 1, count: 3 }.has(k)).collect();
        assert_eq!(all, [1, 4, 7]);
    }
}
