//! Fill-reducing elimination orders for network matrices. Power networks are mostly
//! radial at their edges: a bus with one neighbour can be eliminated first with no
//! fill at all, and removing it may make its neighbour such a bus. So the leaves are
//! peeled first (exactly, in linear time), and approximate minimum degree (faer's AMD)
//! orders only the meshed core that remains — about half the buses of a transmission
//! case, so the ordering, which dominates a one-shot factorization, costs half.

use faer::dyn_stack::{MemBuffer, MemStack};
use faer::sparse::linalg::amd;
use faer::sparse::SymbolicSparseColMatRef;

/// An elimination order of the graph on `n` nodes with undirected `edges` (self-loops
/// and duplicates allowed): `order[k]` is the node eliminated k-th.
pub fn elimination_order(n: usize, edges: &[(usize, usize)]) -> Vec<usize> {
    // Adjacency (both directions, deduplicated).
    let mut deg = vec![0usize; n + 1];
    for &(a, b) in edges {
        if a != b {
            deg[a + 1] += 1;
            deg[b + 1] += 1;
        }
    }
    for i in 0..n {
        deg[i + 1] += deg[i];
    }
    let ptr = deg;
    let mut fill = ptr[..n].to_vec();
    let mut adj = vec![0usize; ptr[n]];
    for &(a, b) in edges {
        if a != b {
            adj[fill[a]] = b;
            fill[a] += 1;
            adj[fill[b]] = a;
            fill[b] += 1;
        }
    }
    let mut ends = vec![0usize; n];
    let mut nbrs: Vec<&[usize]> = Vec::with_capacity(n);
    let mut sorted = adj.clone();
    {
        let mut rest: &mut [usize] = &mut sorted;
        for i in 0..n {
            let (row, tail) = rest.split_at_mut(ptr[i + 1] - ptr[i]);
            row.sort_unstable();
            let mut m = 0;
            for k in 0..row.len() {
                if m == 0 || row[k] != row[m - 1] {
                    row[m] = row[k];
                    m += 1;
                }
            }
            ends[i] = m;
            rest = tail;
        }
    }
    for i in 0..n {
        nbrs.push(&sorted[ptr[i]..ptr[i] + ends[i]]);
    }
    // Peel leaves.
    let mut live_deg: Vec<usize> = (0..n).map(|i| nbrs[i].len()).collect();
    let mut gone = vec![false; n];
    let mut order = Vec::with_capacity(n);
    let mut queue: Vec<usize> = (0..n).filter(|&i| live_deg[i] <= 1).collect();
    while let Some(i) = queue.pop() {
        if gone[i] {
            continue;
        }
        gone[i] = true;
        order.push(i);
        for &j in nbrs[i] {
            if !gone[j] {
                live_deg[j] -= 1;
                if live_deg[j] == 1 {
                    queue.push(j);
                }
            }
        }
    }
    // What is left has every node on a cycle: the meshed core. (A node whose degree
    // falls to 0 was queued when it fell to 1.)
    let core: Vec<usize> = (0..n).filter(|&i| !gone[i]).collect();
    if core.is_empty() {
        return order;
    }
    let mut local = vec![usize::MAX; n];
    for (k, &i) in core.iter().enumerate() {
        local[i] = k;
    }
    // Lower triangle of the core's pattern, sorted by column.
    let nc = core.len();
    let mut col_ptr = Vec::with_capacity(nc + 1);
    let mut row_idx = Vec::new();
    col_ptr.push(0);
    for &i in &core {
        let li = local[i];
        let mut rows: Vec<usize> = nbrs[i].iter().filter(|&&j| !gone[j] && local[j] > li).map(|&j| local[j]).collect();
        rows.sort_unstable();
        row_idx.extend(rows);
        col_ptr.push(row_idx.len());
    }
    let pattern = SymbolicSparseColMatRef::new_checked(nc, nc, &col_ptr, None, &row_idx);
    let (mut perm, mut perm_inv) = (vec![0usize; nc], vec![0usize; nc]);
    let mut mem = MemBuffer::new(amd::order_scratch::<usize>(nc, row_idx.len()));
    let ok = amd::order(&mut perm, &mut perm_inv, pattern, amd::Control::default(), MemStack::new(&mut mem)).is_ok();
    if ok {
        order.extend(perm.iter().map(|&k| core[k]));
    } else {
        order.extend(core);
    }
    order
}

#[cfg(test)]
mod tests {
    use super::elimination_order;

    fn is_permutation(o: &[usize], n: usize) -> bool {
        let mut seen = vec![false; n];
        o.len() == n && o.iter().all(|&i| i < n && !std::mem::replace(&mut seen[i], true))
    }

    #[test]
    fn trees_peel_completely_and_leaves_go_first() {
        // A star with a tail: 0 is the hub; 1, 2, 3 leaves; 3–4–5 a path.
        let e = [(0, 1), (0, 2), (0, 3), (3, 4), (4, 5), (1, 0)];
        let o = elimination_order(6, &e);
        assert!(is_permutation(&o, 6), "{o:?}");
        // A node is eliminated only when at most one neighbour is left: no fill.
        let mut gone = [false; 6];
        for &i in &o {
            let live = e.iter().filter(|&&(a, b)| (a == i && !gone[b]) || (b == i && !gone[a])).count();
            let distinct: std::collections::HashSet<usize> = e
                .iter()
                .filter_map(|&(a, b)| if a == i && !gone[b] { Some(b) } else if b == i && !gone[a] { Some(a) } else { None })
                .collect();
            assert!(distinct.len() <= 1, "node {i} eliminated with {live} live edges");
            gone[i] = true;
        }
    }

    #[test]
    fn meshed_core_is_ordered_after_its_leaves() {
        // A 4-cycle 0–1–2–3 with leaves 4 (on 0) and 5 (on 2), and an isolated node 6.
        let e = [(0, 1), (1, 2), (2, 3), (3, 0), (0, 4), (2, 5)];
        let o = elimination_order(7, &e);
        assert!(is_permutation(&o, 7), "{o:?}");
        let pos = |i: usize| o.iter().position(|&x| x == i).unwrap();
        for leaf in [4, 5, 6] {
            for core in [0, 1, 2, 3] {
                assert!(pos(leaf) < pos(core), "{o:?}");
            }
        }
    }
}
