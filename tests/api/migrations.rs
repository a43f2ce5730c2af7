//! Migrations apply from empty, roll all the way back, and apply again, on the database the
//! suite runs against.

use migration::{Migrator, MigratorTrait};
use sea_orm::{ConnectionTrait, Database};

use crate::support::spawn_app;

#[tokio::test]
async fn migrations_go_up_down_and_up_again() {
    // spawn_app has already applied every migration to a fresh database.
    let app = spawn_app().await;
    let db = Database::connect(&app.database_url).await.unwrap();
    let applied = Migrator::get_applied_migrations(&db).await.unwrap();
    assert_eq!(applied.len(), Migrator::migrations().len());
    assert!(Migrator::get_pending_migrations(&db).await.unwrap().is_empty());

    Migrator::down(&db, None).await.expect("every migration has a working down()");
    assert!(Migrator::get_applied_migrations(&db).await.unwrap().is_empty());
    assert!(db.execute_unprepared("SELECT 1 FROM users").await.is_err(), "tables are gone");

    Migrator::up(&db, None).await.expect("migrations apply again");
    assert!(Migrator::get_pending_migrations(&db).await.unwrap().is_empty());
}
