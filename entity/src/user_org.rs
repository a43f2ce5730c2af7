use sea_orm::entity::prelude::*;

/// A user's membership of an org, with the role they hold there.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "user_orgs")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub user_id: i64,
    #[sea_orm(primary_key, auto_increment = false)]
    pub org_id: i64,
    pub role: crate::Role,
    pub is_primary: bool,
    /// The OneRoster role record's sourcedId; `None` for memberships made before roles were
    /// imported (exported as `<user sourcedId>:<org sourcedId>`).
    pub sourced_id: Option<String>,
    /// The exact OneRoster role (`siteAdministrator`, `aide`, `parent`...); `None` = `role`.
    pub oneroster_role: Option<String>,
    pub begin_date: Option<ChronoDate>,
    pub end_date: Option<ChronoDate>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    #[sea_orm(belongs_to = "super::org::Entity", from = "Column::OrgId", to = "super::org::Column::Id")]
    Org,
    #[sea_orm(belongs_to = "super::user::Entity", from = "Column::UserId", to = "super::user::Column::Id")]
    User,
}

impl Related<super::org::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Org.def()
    }
}

impl Related<super::user::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::User.def()
    }
}

impl ActiveModelBehavior for ActiveModel {}
