//! How many ssh connections may be open: in total and from one address. A slot is held
//! for as long as its connection lives and given back when it is dropped.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::{Arc, Mutex, PoisonError};

#[derive(Debug, Clone)]
pub struct Limits {
    inner: Arc<Mutex<Counts>>,
    total: usize,
    per_ip: usize,
}

#[derive(Debug, Default)]
struct Counts {
    total: usize,
    by_ip: HashMap<IpAddr, usize>,
}

/// One open connection's place; dropping it frees the place.
#[derive(Debug)]
pub struct Slot {
    limits: Limits,
    ip: IpAddr,
}

/// Why a connection was turned away.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Full {
    Total,
    Address,
}

impl Limits {
    pub fn new(total: usize, per_ip: usize) -> Self {
        Self {
            inner: Arc::default(),
            total,
            per_ip,
        }
    }

    pub fn admit(&self, ip: IpAddr) -> Result<Slot, Full> {
        let mut counts = self.inner.lock().unwrap_or_else(PoisonError::into_inner);
        if counts.total >= self.total {
            return Err(Full::Total);
        }
        let from_ip = counts.by_ip.entry(ip).or_default();
        if *from_ip >= self.per_ip {
            return Err(Full::Address);
        }
        *from_ip += 1;
        counts.total += 1;
        Ok(Slot {
            limits: self.clone(),
            ip,
        })
    }

    pub fn open(&self) -> usize {
        self.inner
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .total
    }
}

impl Drop for Slot {
    fn drop(&mut self) {
        let mut counts = self
            .limits
            .inner
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        counts.total = counts.total.saturating_sub(1);
        if let Some(n) = counts.by_ip.get_mut(&self.ip) {
            *n = n.saturating_sub(1);
            if *n == 0 {
                counts.by_ip.remove(&self.ip);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn places_are_counted_per_address_and_in_total_and_given_back() {
        let limits = Limits::new(3, 2);
        let a: IpAddr = [127, 0, 0, 1].into();
        let b: IpAddr = [127, 0, 0, 2].into();
        let a1 = limits.admit(a);
        let a2 = limits.admit(a);
        assert!(a1.is_ok() && a2.is_ok());
        assert_eq!(limits.admit(a).map(|_| ()), Err(Full::Address));
        let b1 = limits.admit(b);
        assert!(b1.is_ok());
        assert_eq!(limits.admit(b).map(|_| ()), Err(Full::Total));
        drop(a1);
        assert_eq!(limits.open(), 2);
        assert!(limits.admit(a).is_ok());
    }
}
