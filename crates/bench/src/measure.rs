//! Timing a [`Pair`]: a warm-up batch per side, then interleaved batches
//! (the order alternating, so drift on a noisy shared machine hits both
//! sides alike), and the median nanoseconds per operation of each side.

use crate::error::Result;
use crate::pair::Pair;

/// Median nanoseconds per operation of each side.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Medians {
    /// winhv.
    pub winhv_ns: f64,
    /// raw KVM.
    pub kvm_ns: f64,
}

/// Measures `pair`: `batches` timed batches of `ops` operations per side
/// after one warm-up batch each (skipped when `warmup` is false).
pub fn measure(pair: &mut Pair, batches: u32, ops: u64, warmup: bool) -> Result<Medians> {
    let ops = ops.max(1);
    if warmup {
        (pair.winhv)(ops)?;
        (pair.kvm)(ops)?;
    }
    let batches = batches.max(1);
    let mut winhv = Vec::with_capacity(batches as usize);
    let mut kvm = Vec::with_capacity(batches as usize);
    for batch in 0..batches {
        let per_op = |d: std::time::Duration| d.as_nanos() as f64 / ops as f64;
        if batch % 2 == 0 {
            winhv.push(per_op((pair.winhv)(ops)?));
            kvm.push(per_op((pair.kvm)(ops)?));
        } else {
            kvm.push(per_op((pair.kvm)(ops)?));
            winhv.push(per_op((pair.winhv)(ops)?));
        }
    }
    Ok(Medians {
        winhv_ns: median(&mut winhv),
        kvm_ns: median(&mut kvm),
    })
}

/// The median of `values` (the mean of the middle two for an even count);
/// 0 for none.
pub fn median(values: &mut [f64]) -> f64 {
    if values.is_empty() {
        return 0.0;
    }
    values.sort_by(f64::total_cmp);
    let mid = values.len() / 2;
    if values.len() % 2 == 1 {
        values[mid]
    } else {
        (values[mid - 1] + values[mid]) / 2.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn median_of_odd_and_even_counts() {
        assert_eq!(median(&mut [3.0, 1.0, 2.0]), 2.0);
        assert_eq!(median(&mut [4.0, 1.0, 3.0, 2.0]), 2.5);
        assert_eq!(median(&mut []), 0.0);
    }

    #[test]
    fn batches_alternate_and_medians_are_per_operation() {
        use std::cell::RefCell;
        use std::rc::Rc;
        use std::time::Duration;
        let order = Rc::new(RefCell::new(Vec::new()));
        let (a, b) = (order.clone(), order.clone());
        let mut pair = Pair {
            winhv: Box::new(move |ops| {
                a.borrow_mut().push('w');
                Ok(Duration::from_nanos(200 * ops))
            }),
            kvm: Box::new(move |ops| {
                b.borrow_mut().push('k');
                Ok(Duration::from_nanos(100 * ops))
            }),
            ops_per_batch: 4,
            note: String::new(),
        };
        let m = measure(&mut pair, 3, 4, true).unwrap();
        assert_eq!(
            m,
            Medians {
                winhv_ns: 200.0,
                kvm_ns: 100.0
            }
        );
        assert_eq!(order.borrow().iter().collect::<String>(), "wkwkkwwk");
    }
}
