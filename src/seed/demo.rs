//! The fictional Riverbend Unified School District (`seed --demo`): its roster and profiles,
//! redesign plans, competency framework, playlists, results and a WIN block.

use anyhow::Context;
use chrono::{NaiveDate, TimeZone, Utc};
use entity::{Role, class, enrollment};
use sea_orm::{
    ActiveValue::Set, ColumnTrait, DatabaseConnection, DatabaseTransaction, EntityTrait, PaginatorTrait, QueryFilter,
    QueryOrder, QuerySelect,
};

use super::{SeedReport, Spec, synthetic::generate};

/// The fictional Riverbend Unified School District: six schools, 3,000 students. Everything
/// (roster, profiles, redesign plans, the framework, playlists and results, the WIN block) is
/// written in one transaction, each store's writes composing into it: a failed seed leaves
/// nothing behind, and a second run changes nothing.
#[tracing::instrument(skip_all)]
pub async fn demo(db: &DatabaseConnection) -> anyhow::Result<SeedReport> {
    let schools = vec![
        ("Alder Creek Elementary".to_owned(), [3, 4, 5]),
        ("Birchwood Elementary".to_owned(), [3, 4, 5]),
        ("Cedar Hollow Middle School".to_owned(), [6, 7, 8]),
        ("Dogwood Middle School".to_owned(), [6, 7, 8]),
        ("Elmstone High School".to_owned(), [9, 10, 11]),
        ("Foxglove Academy".to_owned(), [9, 10, 11]),
    ];
    let spec = Spec {
        prefix: "rb",
        district_name: "Riverbend Unified School District",
        schools,
        students_per_school: 500,
        seed: 2015,
    };
    let txn = crate::db::begin_write(db).await?;
    let report = generate(&txn, spec).await?;
    redesign(&txn).await.context("the demo redesign plans")?;
    progress(&txn).await?;
    gradebook(&txn).await.context("the demo gradebook")?;
    win(&txn).await.context("the demo WIN block")?;
    privacy(&txn).await.context("the demo data-sharing agreement, guardian and opt-out")?;
    txn.commit().await?;
    Ok(report)
}

/// The demo agreement's id: `client create ... --agreement dsa_demo_reading`.
pub const DEMO_AGREEMENT: &str = "dsa_demo_reading";

/// Children's data under the district's control, for trying it out: a data-sharing agreement
/// with a reading vendor for Cedar Hollow (names, grades and mastery, not emails), a guardian
/// of one student (`rb-g-001118`, parent of `rb-s-001118`, for the development sign-in), and one
/// family's directory-information opt-out (`rb-s-001119`). Written once each.
#[tracing::instrument(skip_all)]
async fn privacy(db: &DatabaseTransaction) -> anyhow::Result<()> {
    use entity::{Role, data_agreement, user, user_agent, user_org};
    use sea_orm::{ActiveModelTrait, ActiveValue::Set};
    let date = |y, m, d| chrono::NaiveDate::from_ymd_opt(y, m, d).unwrap_or_default();
    let agreed =
        data_agreement::Entity::find().filter(data_agreement::Column::AgreementId.eq(DEMO_AGREEMENT)).one(db).await?;
    if agreed.is_none() {
        data_agreement::ActiveModel {
            agreement_id: Set(DEMO_AGREEMENT.to_owned()),
            vendor: Set("Adaptive Reading Co.".to_owned()),
            purpose: Set("adaptive reading practice for Cedar Hollow's students".to_owned()),
            schools: Set(Some(serde_json::json!(["rb-school-003"]))),
            starts_on: Set(date(2026, 8, 1)),
            ends_on: Set(date(2030, 6, 30)),
            signed_by: Set("Dana Ruiz, district privacy officer".to_owned()),
            signed_on: Set(date(2026, 7, 20)),
            elements: Set("Learner { sourcedId givenName familyName grades } Mastery".to_owned()),
            school_official: Set(false),
            created_at: Set(crate::db::now()),
            created_by: Set("learnergraph".to_owned()),
            ..Default::default()
        }
        .insert(db)
        .await?;
    }
    let by_sid = |sid: &'static str| user::Entity::find().filter(user::Column::SourcedId.eq(sid)).one(db);
    let (Some(child), None) = (by_sid("rb-s-001118").await?, by_sid("rb-g-001118").await?) else { return Ok(()) };
    let now = crate::db::now();
    let guardian = user::ActiveModel {
        sourced_id: Set("rb-g-001118".to_owned()),
        status: Set(entity::Status::Active),
        date_last_modified: Set(now),
        role: Set(Role::Guardian),
        given_name: Set("Morgan".to_owned()),
        family_name: Set(child.family_name.clone()),
        enabled_user: Set(true),
        ..Default::default()
    }
    .insert(db)
    .await?;
    let schools: Vec<user_org::Model> =
        user_org::Entity::find().filter(user_org::Column::UserId.eq(child.id)).all(db).await?;
    for m in schools {
        user_org::ActiveModel {
            user_id: Set(guardian.id),
            org_id: Set(m.org_id),
            role: Set(Role::Guardian),
            is_primary: Set(m.is_primary),
            sourced_id: Set(None),
            oneroster_role: Set(Some("parent".to_owned())),
            begin_date: Set(None),
            end_date: Set(None),
        }
        .insert(db)
        .await?;
    }
    user_agent::ActiveModel { user_id: Set(child.id), agent_id: Set(guardian.id), position: Set(0) }.insert(db).await?;
    if let Some(opted) = by_sid("rb-s-001119").await? {
        let change = crate::privacy::restrictions::Change {
            directory_opt_out: Some(true),
            vendor_opt_out: None,
            note: Some("demo: the family opted out of directory information".to_owned()),
        };
        crate::privacy::restrictions::write(db, opted.id, change, "learnergraph", "admin").await?;
    }
    Ok(())
}

/// A WIN block at Cedar Hollow on the Monday at least a week ahead: four sessions on the
/// grade 6 math framework, the first math section's students' choices, and a provisional
/// placement run (choices are still open, so a front end can act out the week). Written once,
/// inside the caller's transaction (a savepoint): skipped when the school has a block.
#[tracing::instrument(skip_all)]
async fn win(db: &DatabaseTransaction) -> anyhow::Result<()> {
    use crate::win::store::{self as ws, BlockInput, SessionInput, WinMode};
    let p = crate::auth::Principal::system();
    let school = crate::roster::store::find_org(db, &p, crate::roster::store::Key::Sourced("rb-school-003"))
        .await?
        .ok_or_else(|| anyhow::anyhow!("no Cedar Hollow"))?;
    let today = crate::roster::store::today_in(crate::roster::store::zone_of(db, school.id).await?);
    let date = next_monday_a_week_after(today);
    let existing =
        entity::win_block::Entity::find().filter(entity::win_block::Column::OrgId.eq(school.id)).one(db).await?;
    if existing.is_some() {
        return Ok(());
    }
    let txn = crate::db::begin_write(db).await?;
    let block = ws::create_block(
        &txn,
        &p,
        BlockInput { school: "rb-school-003".into(), date, choices_close_at: None, max_choices: Some(3) },
    )
    .await?;
    let offer = |title: &str, mode, capacity, teacher: &str, focus: &[&str]| SessionInput {
        block: block.id,
        title: title.into(),
        subject: "Mathematics".into(),
        mode,
        room: Some(format!("Room {}", 100 + title.len())),
        capacity: Some(capacity),
        teacher: Some(teacher.into()),
        competencies: focus.iter().map(|c| (*c).to_owned()).collect(),
        invited: None,
    };
    let mut sessions = Vec::new();
    for s in [
        offer("Ratio tables, step by step", WinMode::SmallGroup, 6, "rb-t-003-06-math-0", &["rb-m6-rp-1"]),
        offer("Unit rates in the real world", WinMode::SmallGroup, 8, "rb-t-003-06-math-1", &["rb-m6-rp-2"]),
        offer("Math lab: practice at your pace", WinMode::Independent, 500, "rb-t-003-06-math-0", &[]),
        offer("One-on-one: ratio reasoning", WinMode::OneOnOne, 1, "rb-t-003-06-math-1", &["rb-m6-rp-3"]),
    ] {
        sessions.push(ws::create_session(&txn, &p, s).await?.id);
    }
    let learners: Vec<i64> = entity::enrollment::Entity::find()
        .select_only()
        .column(enrollment::Column::UserId)
        .filter(enrollment::Column::Role.eq(Role::Student))
        .filter(
            enrollment::Column::ClassId.in_subquery(
                sea_orm::sea_query::Query::select()
                    .column(class::Column::Id)
                    .from(class::Entity)
                    .and_where(class::Column::SourcedId.eq("rb-c-003-06-math-s1"))
                    .to_owned(),
            ),
        )
        .into_tuple()
        .all(&txn)
        .await?;
    let chosen_at = crate::db::now();
    let mut choices = Vec::new();
    for (n, l) in learners.iter().enumerate() {
        // Most want the ratio tables group first; every fifth student chose nothing.
        let order: &[usize] = match n % 5 {
            0 => &[],
            1 | 2 => &[0, 2],
            3 => &[1, 0, 2],
            _ => &[0, 1],
        };
        for (rank, k) in order.iter().enumerate() {
            choices.push(entity::win_choice::ActiveModel {
                block_id: Set(block.id),
                learner_id: Set(*l),
                session_id: Set(sessions[*k]),
                rank: Set(i32::try_from(rank).unwrap_or(0) + 1),
                chosen_by: Set("learnergraph".into()),
                chosen_at: Set(chosen_at),
                ..Default::default()
            });
        }
    }
    if !choices.is_empty() {
        entity::win_choice::Entity::insert_many(choices).exec(&txn).await?;
    }
    ws::run_placement(&txn, &p, block.id).await?;
    txn.commit().await?;
    Ok(())
}

/// The first Monday at least seven days after `today`.
fn next_monday_a_week_after(today: NaiveDate) -> NaiveDate {
    let week = today + chrono::Duration::days(7);
    week + chrono::Duration::days(i64::from((7 - chrono::Datelike::weekday(&week).num_days_from_monday()) % 7))
}

/// Riverbend's grade 6 mathematics framework (the CASE package in `data/`, which
/// `learnergraph import case` also takes), a "Ratios and rates" template given to every student
/// of Cedar Hollow's first grade 6 math section, and a practice tool's results for those
/// students. Running it again changes nothing: the import updates in place, the template is
/// made once, assigning skips students who have their copy, and reposting a result under its
/// sourcedId is a no-op.
#[tracing::instrument(skip_all)]
async fn progress(db: &DatabaseTransaction) -> anyhow::Result<()> {
    use crate::{
        competencies::{case, store as cs},
        playlists::store::{self as ps, Evidence as E, ItemInput, PlaylistInput},
        progress::store::{self as rs, ResultInput},
        sync::Bus,
    };
    let p = crate::auth::Principal::system();
    let bus = Bus::new();
    cs::import(db, &p, Some("rb-district"), case::parse(DEMO_CASE_PACKAGE)?).await.context("the demo framework")?;
    let class = "rb-c-003-06-math-s1";
    let title = "Ratios and rates";
    let existing = entity::playlist::Entity::find()
        .filter(entity::playlist::Column::IsTemplate.eq(true))
        .filter(entity::playlist::Column::Title.eq(title))
        .one(db)
        .await?;
    let target = |m, d| NaiveDate::from_ymd_opt(2026, m, d);
    let item = |title: &str, tool: Option<&str>, minutes, evidence, due, comps: &[&str]| ItemInput {
        title: title.into(),
        description: None,
        resource_url: tool.map(|t| format!("https://{}.example/lessons/{}", t.to_lowercase(), title.len())),
        tool: tool.map(Into::into),
        estimated_minutes: Some(minutes),
        evidence,
        target_date: due,
        competencies: comps.iter().map(|c| (*c).to_owned()).collect(),
    };
    let template = match existing {
        Some(t) => t.id,
        None => {
            let items = vec![
                item("What is a ratio?", Some("PracticeLab"), 30, E::Test, target(10, 2), &["rb-m6-rp-1"]),
                item(
                    "Unit rates at the grocery store",
                    Some("PracticeLab"),
                    40,
                    E::Test,
                    target(10, 16),
                    &["rb-m6-rp-2"],
                ),
                item("Design a scale model", None, 120, E::Project, target(11, 6), &["rb-m6-rp-3"]),
                item("Explain your model to the class", None, 15, E::Presentation, target(12, 18), &["rb-m6-rp-3"]),
            ];
            let input = PlaylistInput {
                learner: None,
                school: Some("rb-school-003".into()),
                class: Some(class.into()),
                term: None,
                subject: "Mathematics".into(),
                title: title.into(),
                items,
            };
            ps::create(db, &bus, &p, input).await.context("the demo playlist template")?.id
        }
    };
    ps::assign_template(db, &bus, &p, template, class).await.context("assigning the demo playlists")?;
    let learners: Vec<String> = entity::user::Entity::find()
        .filter(entity::user::Column::Role.eq(Role::Student))
        .filter(
            entity::user::Column::Id.in_subquery(
                sea_orm::sea_query::Query::select()
                    .column(enrollment::Column::UserId)
                    .from(enrollment::Entity)
                    .and_where(
                        enrollment::Column::ClassId.in_subquery(
                            sea_orm::sea_query::Query::select()
                                .column(class::Column::Id)
                                .from(class::Entity)
                                .and_where(class::Column::SourcedId.eq(class))
                                .to_owned(),
                        ),
                    )
                    .to_owned(),
            ),
        )
        .all(db)
        .await?
        .into_iter()
        .map(|u| u.sourced_id)
        .collect();
    let mut rows = Vec::new();
    for (n, learner) in learners.iter().enumerate() {
        // Scores spread deterministically: some students mastered ratios, some are still on them.
        let scores = [(n * 7 % 11) as f64, (n * 5 % 11) as f64];
        for (k, (competency, day)) in [("rb-m6-rp-1", 1), ("rb-m6-rp-2", 15)].into_iter().enumerate() {
            rows.push(ResultInput {
                sourced_id: format!("demo-practicelab-{learner}-{k}"),
                learner: learner.clone(),
                item_id: None,
                competency: Some(competency.into()),
                score: Some(scores[k].min(10.0)),
                score_max: Some(10.0),
                mastery_level: None,
                evidence: E::Test,
                occurred_at: Utc
                    .with_ymd_and_hms(2026, 10, day, 15, 0, 0)
                    .single()
                    .ok_or_else(|| anyhow::anyhow!("bad date"))?,
                comment: None,
            });
        }
    }
    if !rows.is_empty() {
        let (_, errors) = rs::post(db, &bus, &p, rows).await.context("the demo results")?;
        if let Some((i, e)) = errors.first() {
            anyhow::bail!("demo result {i} was refused: {e}");
        }
    }
    Ok(())
}

/// Riverbend's gradebook as its SIS would send it: two grading periods in each semester, the
/// district's categories and letter scale, and for Cedar Hollow's grade 6 math sections three
/// line items assessing the framework's ratio standards, with their students' results (quizzes
/// graded, homework partly missing, projects still coming in) and demographics. Written as a OneRoster delta set
/// through the import engine, the pipeline a SIS's files and the REST gradebook take, inside the
/// seed's transaction; a second run finds it all unchanged.
#[tracing::instrument(skip_all)]
async fn gradebook(db: &DatabaseTransaction) -> anyhow::Result<()> {
    use crate::roster::oneroster::{
        Options, Outcome, import::apply, problems::Problems, records::Kind, set::MemoryFile,
    };
    let sent = Utc.with_ymd_and_hms(2026, 11, 30, 18, 0, 0).single();
    let mut sessions = MemoryFile::new(Kind::AcademicSessions);
    for (sid, title, start, end, term) in [
        ("rb-gp-2027-q1", "Quarter 1", "2026-08-17", "2026-10-23", "rb-term-2027-fall"),
        ("rb-gp-2027-q2", "Quarter 2", "2026-10-26", "2027-01-15", "rb-term-2027-fall"),
        ("rb-gp-2027-q3", "Quarter 3", "2027-01-19", "2027-03-26", "rb-term-2027-spring"),
        ("rb-gp-2027-q4", "Quarter 4", "2027-03-29", "2027-06-11", "rb-term-2027-spring"),
    ] {
        sessions.push(
            sent,
            vec![
                ("sourcedId", sid.into()),
                ("title", title.into()),
                ("type", "gradingPeriod".into()),
                ("startDate", start.into()),
                ("endDate", end.into()),
                ("parentSourcedId", term.into()),
                ("schoolYear", "2027".into()),
            ],
        );
    }
    let mut categories = MemoryFile::new(Kind::Categories);
    for (sid, title, weight) in
        [("rb-cat-homework", "Homework", "20"), ("rb-cat-quiz", "Quizzes", "30"), ("rb-cat-project", "Projects", "50")]
    {
        categories.push(sent, vec![("sourcedId", sid.into()), ("title", title.into()), ("weight", weight.into())]);
    }
    let mut scales = MemoryFile::new(Kind::ScoreScales);
    scales.push(
        sent,
        vec![
            ("sourcedId", "rb-ss-letter".into()),
            ("title", "Letter grade".into()),
            ("type", "letter".into()),
            ("orgSourcedId", "rb-district".into()),
            ("scoreScaleValue", "A:90-100,B:80-89,C:70-79,D:60-69,F:0-59".into()),
        ],
    );
    // Cedar Hollow's grade 6 math sections and their students.
    let system = crate::auth::Principal::system();
    let classes: Vec<(i64, String)> = class::Entity::find()
        .select_only()
        .columns([class::Column::Id, class::Column::SourcedId])
        .filter(class::Column::SourcedId.like("rb-c-003-06-math-%"))
        .order_by_asc(class::Column::SourcedId)
        .into_tuple()
        .all(db)
        .await?;
    let (mut lines, mut objectives, mut results, mut demographics) = (
        MemoryFile::new(Kind::LineItems),
        MemoryFile::new(Kind::LineItemObjectives),
        MemoryFile::new(Kind::Results),
        MemoryFile::new(Kind::Demographics),
    );
    for (class_id, class_sid) in &classes {
        // The class's students, by the roster store's own query.
        let live = crate::roster::store::Sync { updated_since: None, include_deleted: false };
        let students: Vec<String> =
            crate::roster::store::users(&system, &[Role::Student], None, Some(*class_id), None, live)
                .select_only()
                .column(entity::user::Column::SourcedId)
                .order_by_asc(entity::user::Column::SourcedId)
                .into_tuple()
                .all(db)
                .await?;
        // Their demographics, as the SIS holds them (read only with the demographics scope).
        for (n, student) in students.iter().enumerate() {
            demographics.push(
                sent,
                vec![
                    ("sourcedId", student.clone()),
                    ("birthDate", format!("2014-{:02}-{:02}", n % 12 + 1, n % 28 + 1)),
                    ("sex", ["female", "male", "female", "male", "unspecified"][n % 5].into()),
                    ("hispanicOrLatinoEthnicity", (n % 4 == 1).to_string()),
                    ("publicSchoolResidenceStatus", "01652".into()),
                ],
            );
        }
        // The project's rubric, the section's own scale.
        scales.push(
            sent,
            vec![
                ("sourcedId", format!("{class_sid}-ss-rubric")),
                ("title", "Project rubric".into()),
                ("type", "rubric".into()),
                ("classSourcedId", class_sid.clone()),
                ("scoreScaleValue", "4:Exceeds,3:Meets,2:Approaching,1:Beginning".into()),
            ],
        );
        let items = [
            (
                "ratios-quiz",
                "Ratios quiz",
                "rb-cat-quiz",
                "2026-09-14",
                "2026-09-18",
                "rb-gp-2027-q1",
                "20",
                "rb-m6-rp-1",
            ),
            (
                "unit-rates-hw",
                "Unit rates homework",
                "rb-cat-homework",
                "2026-10-05",
                "2026-10-09",
                "rb-gp-2027-q1",
                "10",
                "rb-m6-rp-2",
            ),
            (
                "scale-model",
                "Scale model project",
                "rb-cat-project",
                "2026-11-02",
                "2026-11-20",
                "rb-gp-2027-q2",
                "100",
                "rb-m6-rp-3",
            ),
        ];
        for (key, title, category, assigned, due, period, max, standard) in items {
            let line = format!("{class_sid}-li-{key}");
            lines.push(
                sent,
                vec![
                    ("sourcedId", line.clone()),
                    ("title", title.into()),
                    ("assignDate", format!("{assigned}T15:00:00Z")),
                    ("dueDate", format!("{due}T23:59:00Z")),
                    ("classSourcedId", class_sid.clone()),
                    ("categorySourcedId", category.into()),
                    ("academicSessionSourcedId", period.into()),
                    ("resultValueMin", "0".into()),
                    ("resultValueMax", max.into()),
                    ("schoolSourcedId", "rb-school-003".into()),
                ],
            );
            objectives.push(
                sent,
                vec![
                    ("sourcedId", format!("{line}:case:{standard}")),
                    ("lineItemSourcedId", line.clone()),
                    ("source", "case".into()),
                    ("learningObjectiveId", standard.into()),
                ],
            );
            for (n, student) in students.iter().enumerate() {
                // Spread deterministically: most quizzes graded high, some homework missing,
                // projects partly graded.
                let (status, score, date, missing) = match key {
                    "ratios-quiz" => ("fully graded", Some(10 + n * 7 % 11), "2026-09-19", false),
                    "unit-rates-hw" if n % 6 == 5 => ("not submitted", None, "2026-10-10", true),
                    "unit-rates-hw" => ("fully graded", Some(n * 3 % 11), "2026-10-10", false),
                    _ if n % 3 == 0 => ("partially graded", Some(60 + n % 40), "2026-11-23", false),
                    _ => ("submitted", None, "2026-11-21", false),
                };
                results.push(
                    sent,
                    vec![
                        ("sourcedId", format!("{line}-{student}")),
                        ("lineItemSourcedId", line.clone()),
                        ("studentSourcedId", student.clone()),
                        ("scoreStatus", status.into()),
                        ("score", score.map(|s| s.to_string()).unwrap_or_default()),
                        ("scoreDate", date.into()),
                        ("classSourcedId", class_sid.clone()),
                        ("missing", missing.to_string()),
                        ("late", (key == "unit-rates-hw" && n % 7 == 3).to_string()),
                    ],
                );
            }
        }
    }
    let set = MemoryFile::set([&sessions, &demographics, &categories, &scales, &lines, &objectives, &results])?;
    let opts = Options { targeted: true, with_demographics: true, ..Default::default() };
    let report = apply(db, &set, 0, opts, Problems::default()).await?;
    if let Some(problem) = report.problems.first() {
        anyhow::bail!("{}: {} {} ({})", problem.file, problem.column, problem.message, problem.value);
    }
    anyhow::ensure!(report.outcome == Outcome::Applied, "the gradebook was not applied: {:?}", report.outcome);
    Ok(())
}

/// The demo district's competency framework, as a CASE 1.0 package.
pub const DEMO_CASE_PACKAGE: &str = include_str!("../../data/riverbend-math-6.case.json");

/// Riverbend's redesign: three cohorts, a school implementing its plan (goals, indicators,
/// milestones, grants), one planning, one scheduled to present, one declined. Written once:
/// skipped when the district has cohorts already. Its writes compose into the caller's transaction.
#[tracing::instrument(skip_all)]
async fn redesign(db: &DatabaseTransaction) -> anyhow::Result<()> {
    use crate::redesign::{
        money::Money,
        stages::Stage as S,
        store::{self as rd, CohortFields},
    };
    let p = crate::auth::Principal::system();
    let district = crate::roster::store::resolve_district(db, &p, Some("rb-district")).await?;
    let existing = entity::redesign_cohort::Entity::find()
        .filter(entity::redesign_cohort::Column::DistrictOrgId.eq(district))
        .count(db)
        .await?;
    if existing > 0 {
        return Ok(());
    }
    let date = |y, m, d| NaiveDate::from_ymd_opt(y, m, d).ok_or_else(|| anyhow::anyhow!("bad date"));
    for (year, target) in [(2025, 6), (2026, 7), (2027, 8)] {
        let f = CohortFields {
            year: Some(year),
            name: None,
            target_size: Some(target),
            application_opens_on: Some(date(year - 1, 9, 1)?),
            application_closes_on: Some(date(year, 1, 31)?),
        };
        rd::create_cohort(db, &p, Some("rb-district"), f).await?;
    }
    let to = |to| rd::StageMove {
        to,
        note: None,
        presentation_at: Utc.with_ymd_and_hms(2024, 11, 14, 16, 0, 0).single(),
        presentation_outcome: Some("Clear mission; the panel asked for a sharper plan for grades 7 and 8.".into()),
        decline_reasons: Some("The application did not yet show staff agreement; please reapply next year.".into()),
    };
    let path = [S::PresentationScheduled, S::Presented, S::Accepted, S::Planning, S::Implementing];
    let plans = [
        ("rb-school-003", 2025, &path[..]),
        ("rb-school-005", 2026, &path[..4]),
        ("rb-school-004", 2027, &path[..1]),
        ("rb-school-006", 2026, &[S::PresentationScheduled, S::Presented, S::Declined][..]),
    ];
    let mut cedar = None;
    for (school, year, moves) in plans {
        let application = "Our students want more say in how and when they learn; our staff voted to redesign.";
        let plan = rd::apply(db, &p, school, year, application, date(year - 1, 10, 1)?).await?;
        for stage in moves {
            rd::move_plan(db, &p, plan.id, to(*stage)).await?;
        }
        if school == "rb-school-003" {
            cedar = Some(plan.id);
        }
    }
    let Some(cedar) = cedar else { return Ok(()) };
    let content = rd::PlanContent {
        application: None,
        mission: Some("Every Cedar Hollow student leaves knowing how they learn best.".into()),
        vision: Some("Learning that fits each student: their pace, their path, their voice.".into()),
    };
    rd::update_content(db, &p, cedar, content).await?;
    let pillars: Vec<i64> =
        rd::pillars(db, &p, false).await?.into_iter().filter(|m| m.district_org_id == district).map(|m| m.id).collect();
    let goal = |title: &str, pillar_idx: &[usize]| rd::GoalFields {
        title: Some(title.into()),
        description: None,
        owner: Some("Principal Okafor".into()),
        pillar_ids: Some(pillar_idx.iter().filter_map(|i| pillars.get(*i).copied()).collect()),
    };
    let g1 = rd::create_goal(db, &p, cedar, goal("Every student keeps a living learner profile", &[0, 4])).await?;
    let g2 = rd::create_goal(db, &p, cedar, goal("Students move on when they show mastery", &[2, 1])).await?;
    let ind = |name: &str, baseline, target| rd::IndicatorFields {
        name: name.into(),
        unit: Some("%".into()),
        baseline,
        baseline_on: NaiveDate::from_ymd_opt(2025, 8, 15).unwrap_or_default(),
        target,
        target_on: NaiveDate::from_ymd_opt(2027, 6, 15).unwrap_or_default(),
    };
    let i1 = rd::add_indicator(db, &p, g1.id, ind("Students with a profile updated this term", 20.0, 95.0)).await?;
    rd::record_measurement(db, &p, i1.id, date(2026, 1, 20)?, 48.0, None).await?;
    rd::record_measurement(db, &p, i1.id, date(2026, 6, 10)?, 71.0, None).await?;
    let i2 = rd::add_indicator(db, &p, g2.id, ind("Math units completed at own pace", 5.0, 60.0)).await?;
    rd::record_measurement(db, &p, i2.id, date(2026, 6, 10)?, 9.0, Some("Scheduling got in the way".into())).await?;
    let milestone = |title: &str, due: NaiveDate, done: Option<NaiveDate>| rd::MilestoneFields {
        title: Some(title.into()),
        owner: Some("Ms. Delgado".into()),
        due_on: Some(due),
        completed_on: Some(done),
    };
    rd::add_milestone(
        db,
        &p,
        g1.id,
        milestone("Profile template agreed", date(2025, 9, 30)?, Some(date(2025, 9, 26)?)),
    )
    .await?;
    rd::add_milestone(db, &p, g2.id, milestone("Competency map for grade 7 math", date(2026, 3, 1)?, None)).await?;
    let grant = |kind, fiscal_year, dollars: i64| rd::GrantFields {
        kind,
        fiscal_year,
        amount: Money(dollars * 100),
        awarded_on: NaiveDate::from_ymd_opt(fiscal_year - 1, 8, 1).unwrap_or_default(),
    };
    let planning = rd::award_grant(db, &p, cedar, grant(rd::GrantKind::Planning, 2025, 25_000)).await?;
    let implementation = rd::award_grant(db, &p, cedar, grant(rd::GrantKind::Implementation, 2026, 60_000)).await?;
    let pay = |fiscal_year, dollars: i64, on: NaiveDate| rd::DisbursementFields {
        fiscal_year,
        amount: Money(dollars * 100),
        disbursed_on: on,
        note: None,
    };
    rd::disburse(db, &p, planning.id, pay(2025, 25_000, date(2024, 9, 15)?)).await?;
    rd::disburse(db, &p, implementation.id, pay(2026, 35_000, date(2025, 9, 15)?)).await?;
    Ok(())
}
