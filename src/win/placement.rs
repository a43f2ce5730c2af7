//! WIN placement as a minimum-cost assignment. Every student goes to exactly one session (or,
//! when every seat they may take is full, stays unplaced); no session takes more students than
//! its capacity; a required student is fixed in their session before anyone else is placed.
//!
//! The objective is lexicographic, folded into one integer sum minimised over all feasible
//! placements:
//!
//! 1. place as many students as possible (`UNPLACED` per student left without a seat);
//! 2. then the least total rank: `RANK_STEP × (rank − 1)` in a session the student ranked
//!    (first choice costs 0), `UNRANKED` in one they did not rank when they ranked others,
//!    `NO_CHOICE` anywhere for a student who ranked nothing;
//! 3. then the most need served: minus `NEED_SCALE × need`, where `need` (0 to 1) is the
//!    student's mastery gap in the session's focus competencies.
//!
//! The weights are far enough apart that no amount of a lower term can buy a unit of a higher
//! one for up to `MAX_STUDENTS` students: need decides who gets a contested seat among
//! placements equally good for preferences, and where students who chose nothing go. It is
//! solved exactly by successive shortest augmenting paths (one student at a time, on the
//! residual graph of sessions, where moving a placed student from session `a` to `b` is an
//! edge of cost `cost(b) − cost(a)`): each augmentation keeps the placement optimal for the
//! students placed so far. Ties break by input order, so a run is deterministic.

/// Most students one run places; the weights below keep the objective lexicographic up to it.
pub const MAX_STUDENTS: usize = 20_000;
/// Most weight need can carry in one student's cost.
pub const NEED_SCALE: f64 = 1000.0;
/// One step down a student's ranking: more than all students' need together.
pub const RANK_STEP: i64 = 1000 * (MAX_STUDENTS as i64 + 1);
/// A session the student did not rank, when they ranked others.
pub const UNRANKED: i64 = 20 * RANK_STEP;
/// Any session, for a student who ranked none: only need tells sessions apart.
pub const NO_CHOICE: i64 = 10 * RANK_STEP;
/// A student left without a seat: more than all students' ranks together.
pub const UNPLACED: i64 = (UNRANKED + RANK_STEP) * (MAX_STUDENTS as i64 + 1);

/// One student's side of the problem.
#[derive(Clone, Debug, Default)]
pub struct Student {
    /// `(session index, rank)`, rank 1 first.
    pub ranks: Vec<(usize, u32)>,
    /// The student's need in each session (0 to 1), by session index.
    pub need: Vec<f64>,
    /// A session the student must attend.
    pub required: Option<usize>,
    /// Sessions the student may not attend (invitation-only sessions they were not invited
    /// to), unless required there.
    pub barred: Vec<usize>,
}

/// Sessions (by their capacity) and students.
#[derive(Clone, Debug, Default)]
pub struct Problem {
    pub capacity: Vec<u32>,
    pub students: Vec<Student>,
}

/// The placement found: each student's session (None: unplaced) and the objective's value.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Placement {
    pub session: Vec<Option<usize>>,
    pub cost: i64,
}

/// Why a problem has no placement at all.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Infeasible {
    /// More students are required in the session than it has seats.
    OverRequired { session: usize, required: usize, capacity: u32 },
    /// More students than `MAX_STUDENTS`.
    TooMany(usize),
}

impl Student {
    pub fn rank_of(&self, session: usize) -> Option<u32> {
        self.ranks.iter().find(|(k, _)| *k == session).map(|(_, r)| *r)
    }

    /// The student's cost in `session`, or None where they may not go.
    pub fn cost(&self, session: usize) -> Option<i64> {
        // A requirement outranks an invitation list: the teacher put the student there.
        if self.barred.contains(&session) && self.required != Some(session) {
            return None;
        }
        let base = match (self.rank_of(session), self.ranks.is_empty()) {
            (Some(r), _) => RANK_STEP * (i64::from(r.max(1)) - 1),
            (None, true) => NO_CHOICE,
            (None, false) => UNRANKED,
        };
        let need = self.need.get(session).copied().unwrap_or(0.0).clamp(0.0, 1.0);
        Some(base - (need * NEED_SCALE).round() as i64)
    }
}

/// Solves `problem` exactly. Sessions are `0..capacity.len()`.
pub fn place(problem: &Problem) -> Result<Placement, Infeasible> {
    let k = problem.capacity.len();
    let n = problem.students.len();
    if n > MAX_STUDENTS {
        return Err(Infeasible::TooMany(n));
    }
    // Node `k` stands for "unplaced": unlimited room, at a cost no seat reaches.
    let dummy = k;
    let cost =
        |s: usize, j: usize| -> Option<i64> { if j == dummy { Some(UNPLACED) } else { problem.students[s].cost(j) } };
    let mut at: Vec<Option<usize>> = vec![None; n];
    let mut members: Vec<Vec<usize>> = vec![Vec::new(); k + 1];
    let mut room: Vec<i64> = problem.capacity.iter().map(|c| i64::from(*c)).collect();
    room.push(i64::MAX);

    for (s, st) in problem.students.iter().enumerate() {
        if let Some(j) = st.required.filter(|j| *j < k) {
            if room[j] == 0 {
                let required = problem.students.iter().filter(|x| x.required == Some(j)).count();
                return Err(Infeasible::OverRequired { session: j, required, capacity: problem.capacity[j] });
            }
            room[j] -= 1;
            at[s] = Some(j);
        }
    }

    // best[a][b]: the cheapest move of a free-to-move student from session a to b, and who.
    let movable = |s: usize| problem.students[s].required.is_none();
    let row = |a: usize, members: &[Vec<usize>]| -> Vec<Option<(i64, usize)>> {
        (0..=k)
            .map(|b| {
                if a == b {
                    return None;
                }
                let mut best: Option<(i64, usize)> = None;
                for &u in &members[a] {
                    if let (Some(cb), Some(ca)) = (cost(u, b), cost(u, a)) {
                        let w = cb - ca;
                        if best.is_none_or(|(bw, _)| w < bw) {
                            best = Some((w, u));
                        }
                    }
                }
                best
            })
            .collect()
    };
    let mut best: Vec<Vec<Option<(i64, usize)>>> = (0..=k).map(|a| row(a, &members)).collect();

    let mut dist: Vec<Option<i64>> = vec![None; k + 1];
    let mut parent: Vec<Option<(usize, usize)>> = vec![None; k + 1];
    for s in 0..n {
        if at[s].is_some() {
            continue;
        }
        for j in 0..=k {
            dist[j] = cost(s, j);
            parent[j] = None;
        }
        // Bellman-Ford over sessions; the placement so far is optimal, so there is no
        // negative cycle and k + 1 rounds suffice.
        for _ in 0..=k {
            let mut changed = false;
            for a in 0..=k {
                let Some(da) = dist[a] else { continue };
                for b in 0..=k {
                    if let Some((w, u)) = best[a][b]
                        && dist[b].is_none_or(|db| da + w < db)
                    {
                        dist[b] = Some(da + w);
                        parent[b] = Some((a, u));
                        changed = true;
                    }
                }
            }
            if !changed {
                break;
            }
        }
        let mut target = None;
        for j in 0..=k {
            if room[j] > 0
                && let Some(d) = dist[j]
                && target.is_none_or(|(_, td)| d < td)
            {
                target = Some((j, d));
            }
        }
        let Some((mut j, _)) = target else { continue };
        room[j] -= 1;
        let mut touched = vec![j];
        // Walk the path back: each step moves one student one session forward.
        let mut guard = 0;
        while let Some((a, u)) = parent[j] {
            members[a].retain(|x| *x != u);
            members[j].push(u);
            at[u] = Some(j);
            touched.push(a);
            j = a;
            guard += 1;
            if guard > k + 1 {
                break;
            }
        }
        members[j].push(s);
        at[s] = Some(j);
        touched.sort_unstable();
        touched.dedup();
        for a in touched {
            best[a] = row(a, &members);
        }
        debug_assert!(members.iter().flatten().all(|u| movable(*u)));
    }

    let mut total = 0;
    let session: Vec<Option<usize>> = at.iter().map(|a| a.filter(|j| *j != dummy)).collect();
    for (s, a) in at.iter().enumerate() {
        total += a.and_then(|j| cost(s, j)).unwrap_or(UNPLACED);
    }
    Ok(Placement { session, cost: total })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The optimum by trying every placement (tiny problems only).
    fn brute_force(p: &Problem) -> Option<i64> {
        let k = p.capacity.len();
        let n = p.students.len();
        let mut best: Option<i64> = None;
        let mut choice = vec![0usize; n];
        loop {
            let mut load = vec![0u32; k];
            let mut total = 0i64;
            let mut ok = true;
            for (s, &c) in choice.iter().enumerate() {
                let st = &p.students[s];
                if c == k {
                    if st.required.is_some() {
                        ok = false;
                        break;
                    }
                    total += UNPLACED;
                    continue;
                }
                if st.required.is_some_and(|r| r != c) {
                    ok = false;
                    break;
                }
                let Some(cost) = st.cost(c) else {
                    ok = false;
                    break;
                };
                load[c] += 1;
                total += cost;
            }
            if ok && load.iter().zip(&p.capacity).all(|(l, c)| l <= c) && best.is_none_or(|b| total < b) {
                best = Some(total);
            }
            // Next combination, counting in base k + 1.
            let mut i = 0;
            loop {
                if i == n {
                    return best;
                }
                choice[i] += 1;
                if choice[i] <= k {
                    break;
                }
                choice[i] = 0;
                i += 1;
            }
        }
    }

    fn random_problem(rng: &mut fastrand::Rng) -> Problem {
        let k = rng.usize(1..=4);
        let n = rng.usize(1..=6);
        let capacity = (0..k).map(|_| rng.u32(0..=3)).collect();
        let students = (0..n)
            .map(|_| {
                let mut sessions: Vec<usize> = (0..k).collect();
                rng.shuffle(&mut sessions);
                let ranked = rng.usize(0..=k.min(3));
                Student {
                    ranks: sessions[..ranked].iter().enumerate().map(|(i, s)| (*s, i as u32 + 1)).collect(),
                    need: (0..k).map(|_| f64::from(rng.u8(0..=10)) / 10.0).collect(),
                    required: if rng.u8(0..10) == 0 { Some(rng.usize(0..k)) } else { None },
                    barred: if rng.u8(0..5) == 0 { vec![rng.usize(0..k)] } else { vec![] },
                }
            })
            .collect();
        Problem { capacity, students }
    }

    #[test]
    fn finds_the_optimum_that_brute_force_finds() {
        let mut rng = fastrand::Rng::with_seed(2015);
        let mut checked = 0;
        for _ in 0..600 {
            let p = random_problem(&mut rng);
            let expected = brute_force(&p);
            match place(&p) {
                Ok(found) => {
                    assert_eq!(Some(found.cost), expected, "{p:?} gave {found:?}");
                    // The placement is what it claims: feasible, and its cost adds up.
                    let mut load = vec![0u32; p.capacity.len()];
                    let mut total = 0;
                    for (s, at) in found.session.iter().enumerate() {
                        match at {
                            Some(j) => {
                                load[*j] += 1;
                                total += p.students[s].cost(*j).expect("placed only where allowed");
                            }
                            None => total += UNPLACED,
                        }
                        if let Some(r) = p.students[s].required {
                            assert_eq!(*at, Some(r), "a requirement beats preferences");
                        }
                    }
                    assert!(load.iter().zip(&p.capacity).all(|(l, c)| l <= c), "capacity is never exceeded");
                    assert_eq!(total, found.cost);
                    checked += 1;
                }
                Err(Infeasible::OverRequired { .. }) => assert_eq!(expected, None, "{p:?}"),
                Err(Infeasible::TooMany(_)) => unreachable!(),
            }
        }
        assert!(checked > 500, "most random problems are feasible: {checked}");
    }

    #[test]
    fn a_contested_seat_goes_to_the_larger_need_and_the_run_is_deterministic() {
        // Both want session 0 first; it has one seat; student 1 needs it more.
        let p = Problem {
            capacity: vec![1, 5],
            students: vec![
                Student { ranks: vec![(0, 1), (1, 2)], need: vec![0.1, 0.0], ..Default::default() },
                Student { ranks: vec![(0, 1), (1, 2)], need: vec![0.8, 0.0], ..Default::default() },
                Student { ranks: vec![], need: vec![0.9, 0.2], ..Default::default() },
            ],
        };
        let placed = place(&p).expect("feasible");
        assert_eq!(placed.session, vec![Some(1), Some(0), Some(1)]);
        assert_eq!(place(&p).expect("feasible"), placed);
    }

    #[test]
    fn need_never_costs_a_student_their_ranked_seat() {
        // A ranked session 0 first (no need there); B chose nothing but needs session 0 badly.
        let p = Problem {
            capacity: vec![1, 1],
            students: vec![
                Student { ranks: vec![(0, 1), (1, 2)], need: vec![0.0, 1.0], ..Default::default() },
                Student { ranks: vec![], need: vec![1.0, 0.0], ..Default::default() },
            ],
        };
        assert_eq!(place(&p).expect("feasible").session, vec![Some(0), Some(1)]);
        // Likewise against a student who ranked it lower.
        let p = Problem {
            capacity: vec![1, 1],
            students: vec![
                Student { ranks: vec![(0, 1), (1, 2)], need: vec![0.0, 1.0], ..Default::default() },
                Student { ranks: vec![(1, 1), (0, 2)], need: vec![1.0, 0.0], ..Default::default() },
            ],
        };
        assert_eq!(place(&p).expect("feasible").session, vec![Some(0), Some(1)]);
    }

    #[test]
    fn too_many_requirements_are_refused() {
        let required = Student { required: Some(0), ..Default::default() };
        let p = Problem { capacity: vec![1], students: vec![required.clone(), required] };
        assert_eq!(place(&p), Err(Infeasible::OverRequired { session: 0, required: 2, capacity: 1 }));
    }
}
