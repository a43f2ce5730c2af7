//! Temporary home of the redesign read-path test.

use serde_json::json;

use crate::support::{data, spawn_app};

/// A page of plans with everything under them costs the same number of SQL statements for one
/// plan as for four: every child field is batched.
#[tokio::test]
async fn a_page_of_plans_with_their_children_takes_a_bounded_number_of_statements() {
    let app = spawn_app().await;
    app.seed(4, 2).await;
    let admin = app.token("redesign.read redesign.write", &[]).await;
    let today = chrono::Utc::now().date_naive();
    let year = chrono::Datelike::year(&today);
    let d = data(
        app.gql(
            &admin,
            "mutation($year: Int!, $opens: NaiveDate!, $closes: NaiveDate!) { createRedesignCohort(input: {year: $year, targetSize: 6, applicationOpensOn: $opens, applicationClosesOn: $closes}) { userErrors { message } } }",
            json!({"year": year, "opens": (today - chrono::Days::new(1)).to_string(), "closes": (today + chrono::Days::new(1)).to_string()}),
        )
        .await,
    );
    assert_eq!(d["createRedesignCohort"]["userErrors"], json!([]));
    let pillar =
        data(app.gql(&admin, "{ redesignPillars { id } }", json!({})).await)["redesignPillars"][0]["id"].clone();
    for school in 1..=4 {
        let d = data(
            app.gql(
                &admin,
                "mutation($school: String!, $year: Int!) { applyForRedesign(input: {schoolSourcedId: $school, cohortYear: $year, application: \"Yes\"}) { plan { id } } }",
                json!({"school": format!("sc-school-{school:03}"), "year": year}),
            )
            .await,
        );
        let plan = d["applyForRedesign"]["plan"]["id"].clone();
        for (to, extra) in [
            ("PRESENTATION_SCHEDULED", ", presentationAt: \"2026-01-01T10:00:00Z\""),
            ("PRESENTED", ", presentationOutcome: \"Good\""),
            ("ACCEPTED", ""),
        ] {
            let doc = format!(
                "mutation($plan: ID!) {{ moveRedesignPlan(input: {{planId: $plan, to: {to}{extra}}}) {{ userErrors {{ message }} }} }}"
            );
            assert_eq!(
                data(app.gql(&admin, &doc, json!({"plan": plan})).await)["moveRedesignPlan"]["userErrors"],
                json!([])
            );
        }
        let d = data(
            app.gql(
                &admin,
                "mutation($plan: ID!, $pillar: ID!, $year: Int!) {
                   g1: createRedesignGoal(input: {planId: $plan, title: \"One\", pillarIds: [$pillar]}) { goal { id } }
                   g2: createRedesignGoal(input: {planId: $plan, title: \"Two\", pillarIds: [$pillar]}) { goal { id } }
                   a: awardRedesignGrant(input: {planId: $plan, kind: PLANNING, fiscalYear: $year, amount: \"25000.00\"}) { grant { id } }
                 }",
                json!({"plan": plan, "pillar": pillar, "year": year}),
            )
            .await,
        );
        for g in ["g1", "g2"] {
            let d = data(
                app.gql(
                    &admin,
                    "mutation($goal: ID!) {
                       i: addRedesignIndicator(input: {goalId: $goal, name: \"Reading\", baseline: 10, baselineOn: \"2026-01-01\", target: 80, targetOn: \"2027-01-01\"}) { indicator { id } }
                       m: addRedesignMilestone(input: {goalId: $goal, title: \"Plan written\", dueOn: \"2026-03-01\"}) { milestone { id } }
                     }",
                    json!({"goal": d[g]["goal"]["id"]}),
                )
                .await,
            );
            let m = app
                .gql(
                    &admin,
                    "mutation($i: ID!) { recordIndicatorMeasurement(input: {indicatorId: $i, measuredOn: \"2026-06-01\", value: 30}) { userErrors { message } } }",
                    json!({"i": d["i"]["indicator"]["id"]}),
                )
                .await;
            assert_eq!(data(m)["recordIndicatorMeasurement"]["userErrors"], json!([]));
        }
        let pay = app
            .gql(
                &admin,
                "mutation($g: ID!, $year: Int!) { recordGrantDisbursement(input: {grantId: $g, fiscalYear: $year, amount: \"5000.00\", disbursedOn: \"2026-10-01\"}) { userErrors { message } } }",
                json!({"g": d["a"]["grant"]["id"], "year": year}),
            )
            .await;
        assert_eq!(data(pay)["recordGrantDisbursement"]["userErrors"], json!([]));
    }
    let doc = "query($n: Int!) { redesignPlans(first: $n) { edges { node {
        schoolName cohort { year } stage history { to actor { kind } }
        goals { title pillars { name } indicators { name status(asOf: \"2026-07-01\") measurements { value } latest { value } } milestones { title overdue } }
        grants { kind amount disbursed remaining disbursements { amount } }
        funding { ceiling totals { committed disbursed byFiscalYear { fiscalYear committed } } }
    } } } }";
    let mut costs = Vec::new();
    for n in [1, 4] {
        let before = app.statements().await;
        let d = data(app.gql(&admin, doc, json!({"n": n})).await);
        costs.push(app.statements().await - before);
        let edges = d["redesignPlans"]["edges"].as_array().unwrap();
        assert_eq!(edges.len(), n as usize);
        let last = &edges[n as usize - 1]["node"];
        assert_eq!(last["goals"].as_array().unwrap().len(), 2);
        assert_eq!(last["goals"][1]["indicators"][0]["measurements"][0]["value"], 30.0);
        assert_eq!(last["grants"][0]["disbursed"], "5000.00");
        assert_eq!(last["funding"]["totals"]["disbursed"], "5000.00");
        assert_eq!(last["history"].as_array().unwrap().len(), 4);
    }
    println!("redesign page statements (1 plan, 4 plans): {costs:?}");
    assert_eq!(costs[0], costs[1], "statements must not grow with the page: {costs:?}");
    assert!(costs[1] <= 14.0, "a page of plans with every child took {} statements", costs[1]);
}
