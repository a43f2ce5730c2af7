//! WIN placement as a minimum-cost assignment. Every student goes to exactly one session (or,
//! when every seat they may take is full, stays unplaced); no session takes more students than
//! its capacity; a required student is fixed in their session before anyone else is placed.
//!
//! The objective is the README's ("How WIN placement decides", the one place it is written
//! down): lexicographic, fewest students unplaced, then the fewest rank steps, then the most
//! need served. Here it is folded into one integer sum: `UNPLACED` per student left without
//! a seat, `RANK_STEP` per rank step (`UNRANKED` and `NO_CHOICE` are 20 and 10 steps), minus
//! `NEED_SCALE × need`. The weights are far enough apart that no amount of a lower term can
//! buy a unit of a higher one for up to `MAX_STUDENTS` students; the tests check the solver
//! against a brute force of the documented objective itself, not of these weights. It is
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

    /// The objective exactly as the README documents it ("How WIN placement decides"),
    /// written from that text and not from the solver's weights: the key to minimise,
    /// compared in order: students left without a seat; then the total of the students' rank
    /// steps (rank r costs r − 1, a session they did not rank when they ranked others 20,
    /// any session 10 for a student who ranked none); then the need served, in thousandths
    /// (rounded per student), negated. None when the placement breaks a rule: a session over
    /// capacity, a required student elsewhere, a student in an invitation-only session they
    /// were not invited to (and not required in).
    fn documented_key(p: &Problem, at: &[Option<usize>]) -> Option<(usize, u64, i64)> {
        let mut load = vec![0u32; p.capacity.len()];
        let (mut unplaced, mut steps, mut need) = (0usize, 0u64, 0i64);
        for (st, at) in p.students.iter().zip(at) {
            let Some(k) = *at else {
                if st.required.is_some() {
                    return None;
                }
                unplaced += 1;
                continue;
            };
            if st.required.is_some_and(|r| r != k) || (st.barred.contains(&k) && st.required != Some(k)) {
                return None;
            }
            load[k] += 1;
            steps += match st.ranks.iter().find(|(s, _)| *s == k) {
                Some((_, r)) => u64::from(*r) - 1,
                None if st.ranks.is_empty() => 10,
                None => 20,
            };
            need += (st.need[k] * 1000.0).round() as i64;
        }
        load.iter().zip(&p.capacity).all(|(l, c)| l <= c).then_some((unplaced, steps, -need))
    }

    /// The best key over every placement (tiny problems only), None when none is allowed.
    fn brute_force(p: &Problem) -> Option<(usize, u64, i64)> {
        let k = p.capacity.len();
        let n = p.students.len();
        let mut best = None;
        // Each student's session, or k for none: counting in base k + 1.
        let mut choice = vec![0usize; n];
        loop {
            let at: Vec<Option<usize>> = choice.iter().map(|&c| (c < k).then_some(c)).collect();
            if let Some(key) = documented_key(p, &at) {
                best = Some(best.map_or(key, |b: (usize, u64, i64)| b.min(key)));
            }
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
                let ranked = rng.usize(0..=k);
                Student {
                    ranks: sessions[..ranked].iter().enumerate().map(|(i, s)| (*s, i as u32 + 1)).collect(),
                    // Any need from 0 to 1, so rounding to thousandths is exercised too.
                    need: (0..k).map(|_| rng.f64()).collect(),
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
                    // Feasible by the documented rules, and as good as the best placement
                    // there is, by the documented objective.
                    let key = documented_key(&p, &found.session);
                    assert!(key.is_some(), "{p:?} gave a placement that breaks a rule: {found:?}");
                    assert_eq!(key, expected, "{p:?} gave {found:?}");
                    // The cost it reports is the sum of its students' costs.
                    let total: i64 = found
                        .session
                        .iter()
                        .zip(&p.students)
                        .map(|(at, st)| at.map_or(UNPLACED, |k| st.cost(k).expect("placed only where allowed")))
                        .sum();
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
