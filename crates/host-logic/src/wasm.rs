//! The memory cap a host without store limits (Node) writes into a core module before compiling
//! it: every memory the module defines gets a maximum of the cap, so the guest's `memory.grow`
//! fails there exactly as under a runtime's store limits.

use alloc::format;
use alloc::string::String;
use alloc::vec::Vec;

use crate::messages::{Notice, notice};

/// Bytes `start..end` of a module replaced by `bytes`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Splice {
    pub start: u32,
    pub end: u32,
    pub bytes: Vec<u8>,
}

/// The edit that caps `module`'s memories at `mib` MiB: its memory section rewritten, or `None`
/// when it defines no memory. Refused when a memory starts larger than the cap.
pub fn cap_memory(module: &[u8], mib: u32) -> Result<Option<Splice>, String> {
    let pages = mib.saturating_mul(16);
    let bad = || String::from("the component's core module is not valid wasm");
    let mut at = 8;
    while at < module.len() {
        let id = module[at];
        let (size, body) = leb(module, at + 1).ok_or_else(bad)?;
        let end = body
            .checked_add(size as usize)
            .filter(|&e| e <= module.len())
            .ok_or_else(bad)?;
        if id == 5 {
            let (count, mut q) = leb(module, body).ok_or_else(bad)?;
            let mut out = uleb(count);
            for _ in 0..count {
                let flags = *module.get(q).ok_or_else(bad)?;
                if flags > 1 {
                    return Err(format!(
                        "the component's memory has limits flags {flags}, which this host cannot cap"
                    ));
                }
                let (min, next) = leb(module, q + 1).ok_or_else(bad)?;
                q = next;
                let mut max = pages;
                if flags == 1 {
                    let (declared, next) = leb(module, q).ok_or_else(bad)?;
                    max = max.min(declared);
                    q = next;
                }
                if min > pages {
                    return Err(notice(&Notice::MemoryLimit(mib)));
                }
                out.push(1);
                out.extend(uleb(min));
                out.extend(uleb(max));
            }
            let mut bytes = Vec::from([5]);
            bytes.extend(uleb(out.len() as u32));
            bytes.extend(out);
            return Ok(Some(Splice {
                start: at as u32,
                end: end as u32,
                bytes,
            }));
        }
        at = end;
    }
    Ok(None)
}

/// An unsigned LEB128 number at `at`, and where it ends.
fn leb(bytes: &[u8], at: usize) -> Option<(u32, usize)> {
    let mut value: u64 = 0;
    for (i, &b) in bytes.get(at..)?.iter().take(5).enumerate() {
        value |= u64::from(b & 0x7f) << (7 * i);
        if b & 0x80 == 0 {
            return Some((u32::try_from(value).ok()?, at + i + 1));
        }
    }
    None
}

fn uleb(mut n: u32) -> Vec<u8> {
    let mut out = Vec::new();
    loop {
        let b = (n & 0x7f) as u8;
        n >>= 7;
        if n == 0 {
            out.push(b);
            return out;
        }
        out.push(b | 0x80);
    }
}

#[cfg(test)]
mod tests {
    use alloc::vec;

    use super::*;

    const HEADER: [u8; 8] = [0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00];

    fn module(section: &[u8]) -> Vec<u8> {
        // A type section first, then the memory section.
        let mut m = HEADER.to_vec();
        m.extend([0x01, 0x01, 0x00]);
        m.extend(section);
        m
    }

    #[test]
    fn a_memory_gets_the_cap_as_its_maximum() {
        // (memory 1): no maximum; capped at 1 MiB = 16 pages.
        let m = module(&[0x05, 0x03, 0x01, 0x00, 0x01]);
        assert_eq!(
            cap_memory(&m, 1).unwrap(),
            Some(Splice {
                start: 11,
                end: 16,
                bytes: vec![0x05, 0x04, 0x01, 0x01, 0x01, 0x10]
            })
        );
        // (memory 1 100): the smaller maximum stands.
        let m = module(&[0x05, 0x04, 0x01, 0x01, 0x01, 0x64]);
        assert_eq!(
            cap_memory(&m, 1).unwrap().unwrap().bytes,
            [0x05, 0x04, 0x01, 0x01, 0x01, 0x10]
        );
        assert_eq!(
            cap_memory(&m, 1000).unwrap().unwrap().bytes,
            [0x05, 0x04, 0x01, 0x01, 0x01, 0x64]
        );
        // 300 pages is two LEB bytes.
        assert_eq!(
            cap_memory(&module(&[0x05, 0x03, 0x01, 0x00, 0x01]), 20)
                .unwrap()
                .unwrap()
                .bytes,
            [0x05, 0x05, 0x01, 0x01, 0x01, 0xc0, 0x02]
        );
    }

    #[test]
    fn no_memory_no_edit_and_a_memory_over_the_cap_is_refused() {
        assert_eq!(cap_memory(&module(&[]), 1).unwrap(), None);
        assert_eq!(
            cap_memory(&module(&[0x05, 0x03, 0x01, 0x00, 0x20]), 1).unwrap_err(),
            notice(&Notice::MemoryLimit(1))
        );
    }
}
