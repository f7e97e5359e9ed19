//! Which GPUs serve which rental. Each served offer has a pool of GPUs (from the config); a new
//! rental gets the first free GPUs of its offer's pool, as many as the offer rents at a time.
//! A GPU is never given to two rentals at once.

use std::collections::{BTreeMap, HashMap};

use alloy::primitives::B256;

/// The GPU pools of the served offers and who holds each GPU.
#[derive(Debug, Clone, Default)]
pub struct Allocator {
    pools: BTreeMap<u64, (Vec<String>, u16)>,
    holder: HashMap<String, B256>,
}

impl Allocator {
    /// Pools by offer: the GPU UUIDs and how many GPUs one rental of the offer gets.
    pub fn new(pools: BTreeMap<u64, (Vec<String>, u16)>) -> Self {
        Self {
            pools,
            holder: HashMap::new(),
        }
    }

    /// Whether the oracle serves `offer`.
    pub fn serves(&self, offer: u64) -> bool {
        self.pools.contains_key(&offer)
    }

    /// Gives `offer`'s next free GPUs to `rental`; `None` (nothing taken) when too few are free.
    pub fn allocate(&mut self, offer: u64, rental: B256) -> Option<Vec<String>> {
        let (pool, per_rental) = self.pools.get(&offer)?;
        let free: Vec<String> = pool
            .iter()
            .filter(|g| !self.holder.contains_key(*g))
            .take(usize::from(*per_rental).max(1))
            .cloned()
            .collect();
        if free.len() < usize::from(*per_rental).max(1) {
            return None;
        }
        for gpu in &free {
            self.holder.insert(gpu.clone(), rental);
        }
        Some(free)
    }

    /// Restores an allocation made before a restart; false (nothing taken) if any GPU is held by
    /// another rental.
    pub fn claim(&mut self, rental: B256, gpus: &[String]) -> bool {
        if gpus.iter().any(|g| self.holder.get(g).is_some_and(|h| *h != rental)) {
            return false;
        }
        for gpu in gpus {
            self.holder.insert(gpu.clone(), rental);
        }
        true
    }

    /// Frees the GPUs of `rental`.
    pub fn release(&mut self, rental: B256) {
        self.holder.retain(|_, h| *h != rental);
    }

    /// The rental holding `gpu`, if any.
    pub fn holder(&self, gpu: &str) -> Option<B256> {
        self.holder.get(gpu).copied()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn allocator() -> Allocator {
        let pool = |names: &[&str], n| (names.iter().map(|s| (*s).to_owned()).collect(), n);
        Allocator::new(BTreeMap::from([
            (1, pool(&["a", "b", "c"], 1)),
            (2, pool(&["d", "e", "f", "g"], 2)),
        ]))
    }

    #[test]
    fn rentals_get_distinct_free_gpus_of_their_offer() {
        let mut a = allocator();
        let (r1, r2, r3, r4) = (
            B256::repeat_byte(1),
            B256::repeat_byte(2),
            B256::repeat_byte(3),
            B256::repeat_byte(4),
        );
        assert_eq!(a.allocate(1, r1), Some(vec!["a".to_owned()]));
        assert_eq!(a.allocate(1, r2), Some(vec!["b".to_owned()]));
        assert_eq!(a.allocate(2, r3), Some(vec!["d".to_owned(), "e".to_owned()]));
        assert_eq!(a.allocate(2, r4), Some(vec!["f".to_owned(), "g".to_owned()]));
        assert_eq!(a.allocate(2, B256::repeat_byte(5)), None, "pool exhausted");
        assert_eq!(a.holder("e"), Some(r3));
        a.release(r1);
        assert_eq!(
            a.allocate(1, B256::repeat_byte(6)),
            Some(vec!["a".to_owned()]),
            "freed GPU reused"
        );
        assert_eq!(a.allocate(9, r1), None, "offer not served");
    }

    #[test]
    fn a_gpu_is_never_given_to_two_rentals() {
        let mut a = allocator();
        let (r1, r2) = (B256::repeat_byte(1), B256::repeat_byte(2));
        assert!(a.claim(r1, &["b".to_owned()]));
        assert!(!a.claim(r2, &["b".to_owned(), "c".to_owned()]));
        assert_eq!(a.holder("c"), None, "a failed claim takes nothing");
        assert_eq!(a.allocate(1, r2), Some(vec!["a".to_owned()]));
        assert_eq!(a.allocate(1, B256::repeat_byte(3)), Some(vec!["c".to_owned()]));
        assert_eq!(a.allocate(1, B256::repeat_byte(4)), None);
    }
}
