//! Playlist mutations, their inputs and payloads.

use super::*;

#[derive(InputObject)]
pub struct PlaylistItemInput {
    pub title: String,
    pub description: Option<String>,
    pub resource_url: Option<String>,
    /// The tool that provides the activity.
    pub tool: Option<String>,
    pub estimated_minutes: Option<i32>,
    /// How the learner will show mastery.
    pub evidence: MasteryEvidence,
    pub target_date: Option<NaiveDate>,
    /// CASE identifiers (`Competency.sourcedId`) of the competencies the item builds.
    #[graphql(default)]
    pub competency_ids: Vec<String>,
}

impl From<PlaylistItemInput> for ItemInput {
    fn from(i: PlaylistItemInput) -> Self {
        ItemInput {
            title: i.title,
            description: i.description,
            resource_url: i.resource_url,
            tool: i.tool,
            estimated_minutes: i.estimated_minutes,
            evidence: i.evidence.into(),
            target_date: i.target_date,
            competencies: i.competency_ids,
        }
    }
}

#[derive(InputObject)]
pub struct CreatePlaylistInput {
    /// The learner; omit to create a template.
    pub learner_sourced_id: Option<String>,
    /// The school; needed for a template without a class, or a learner at several schools.
    pub school_sourced_id: Option<String>,
    pub class_sourced_id: Option<String>,
    /// The term; defaults to the class's.
    pub term_sourced_id: Option<String>,
    pub subject: String,
    pub title: String,
    #[graphql(default)]
    pub items: Vec<PlaylistItemInput>,
}

#[derive(SimpleObject)]
pub struct PlaylistPayload {
    pub playlist: Option<Playlist>,
    pub user_errors: Vec<UserError>,
}

#[derive(InputObject)]
pub struct UpdatePlaylistInput {
    pub playlist_id: ID,
    pub title: Option<String>,
    pub subject: Option<String>,
}

#[derive(InputObject)]
pub struct DeletePlaylistInput {
    pub playlist_id: ID,
}

#[derive(SimpleObject)]
pub struct DeletePayload {
    /// The deleted record's ID, when it was deleted.
    pub deleted_id: Option<ID>,
    pub user_errors: Vec<UserError>,
}

#[derive(InputObject)]
pub struct AddPlaylistItemsInput {
    pub playlist_id: ID,
    pub items: Vec<PlaylistItemInput>,
}

#[derive(SimpleObject)]
pub struct PlaylistItemsPayload {
    pub items: Vec<PlaylistItem>,
    pub user_errors: Vec<UserError>,
}

#[derive(InputObject)]
pub struct UpdatePlaylistItemInput {
    pub item_id: ID,
    pub title: Option<String>,
    pub description: MaybeUndefined<String>,
    pub resource_url: MaybeUndefined<String>,
    pub tool: MaybeUndefined<String>,
    pub estimated_minutes: MaybeUndefined<i32>,
    pub evidence: Option<MasteryEvidence>,
    pub target_date: MaybeUndefined<NaiveDate>,
    /// Replaces the item's competencies (CASE identifiers).
    pub competency_ids: Option<Vec<String>>,
}

#[derive(SimpleObject)]
pub struct PlaylistItemPayload {
    pub item: Option<PlaylistItem>,
    pub user_errors: Vec<UserError>,
}

#[derive(InputObject)]
pub struct RemovePlaylistItemInput {
    pub item_id: ID,
}

#[derive(InputObject)]
pub struct ReorderPlaylistItemsInput {
    pub playlist_id: ID,
    /// Every item of the playlist, in the new order.
    pub item_ids: Vec<ID>,
}

#[derive(InputObject)]
pub struct SetPlaylistItemStateInput {
    pub item_id: ID,
    pub state: PlaylistItemState,
    pub note: Option<String>,
}

#[derive(InputObject)]
pub struct AssignPlaylistTemplateInput {
    pub template_id: ID,
    pub class_sourced_id: String,
}

#[derive(SimpleObject)]
pub struct AssignPlaylistTemplatePayload {
    /// The copies made by this call.
    pub playlists: Vec<Playlist>,
    /// Learners of the class who already had a copy.
    pub already_assigned: i32,
    pub user_errors: Vec<UserError>,
}

fn maybe<T>(m: MaybeUndefined<T>) -> Option<Option<T>> {
    match m {
        MaybeUndefined::Undefined => None,
        MaybeUndefined::Null => Some(None),
        MaybeUndefined::Value(v) => Some(Some(v)),
    }
}

fn playlist_payload(r: crate::error::AppResult<playlist::Model>) -> async_graphql::Result<PlaylistPayload> {
    Ok(match into_user_errors(r)? {
        Ok(m) => PlaylistPayload { playlist: Some(Playlist(m)), user_errors: vec![] },
        Err(user_errors) => PlaylistPayload { playlist: None, user_errors },
    })
}

fn item_payload(r: crate::error::AppResult<playlist_item::Model>) -> async_graphql::Result<PlaylistItemPayload> {
    Ok(match into_user_errors(r)? {
        Ok(m) => PlaylistItemPayload { item: Some(PlaylistItem(m)), user_errors: vec![] },
        Err(user_errors) => PlaylistItemPayload { item: None, user_errors },
    })
}

fn items_payload(r: crate::error::AppResult<Vec<playlist_item::Model>>) -> async_graphql::Result<PlaylistItemsPayload> {
    Ok(match into_user_errors(r)? {
        Ok(m) => PlaylistItemsPayload { items: m.into_iter().map(PlaylistItem).collect(), user_errors: vec![] },
        Err(user_errors) => PlaylistItemsPayload { items: vec![], user_errors },
    })
}

#[derive(Default)]
pub struct PlaylistsMutation;

#[Object]
impl PlaylistsMutation {
    /// Creates a learner's playlist, or a template (no learner), with its items. Needs
    /// `playlists.write`; learners can't.
    async fn create_playlist(
        &self,
        ctx: &Context<'_>,
        input: CreatePlaylistInput,
    ) -> async_graphql::Result<PlaylistPayload> {
        let p = writer(ctx)?;
        let input = PlaylistInput {
            learner: input.learner_sourced_id,
            school: input.school_sourced_id,
            class: input.class_sourced_id,
            term: input.term_sourced_id,
            subject: input.subject,
            title: input.title,
            items: input.items.into_iter().map(Into::into).collect(),
        };
        playlist_payload(store::create(db(ctx)?, ctx.data::<Bus>()?, p, input).await)
    }

    /// Renames a playlist or changes its subject. Needs `playlists.write`.
    async fn update_playlist(
        &self,
        ctx: &Context<'_>,
        input: UpdatePlaylistInput,
    ) -> async_graphql::Result<PlaylistPayload> {
        let p = writer(ctx)?;
        let id = decode_kind(&input.playlist_id, Kind::Playlist, "input.playlistId")?;
        let c = PlaylistChanges { title: input.title, subject: input.subject };
        playlist_payload(store::update(db(ctx)?, ctx.data::<Bus>()?, p, id, c).await)
    }

    /// Deletes a playlist and its items (syncing tools see the deletion). Needs `playlists.write`.
    async fn delete_playlist(
        &self,
        ctx: &Context<'_>,
        input: DeletePlaylistInput,
    ) -> async_graphql::Result<DeletePayload> {
        let p = writer(ctx)?;
        let id = decode_kind(&input.playlist_id, Kind::Playlist, "input.playlistId")?;
        Ok(match into_user_errors(store::delete(db(ctx)?, ctx.data::<Bus>()?, p, id).await)? {
            Ok(()) => DeletePayload { deleted_id: Some(input.playlist_id), user_errors: vec![] },
            Err(user_errors) => DeletePayload { deleted_id: None, user_errors },
        })
    }

    /// Appends items to a playlist. Needs `playlists.write`.
    async fn add_playlist_items(
        &self,
        ctx: &Context<'_>,
        input: AddPlaylistItemsInput,
    ) -> async_graphql::Result<PlaylistItemsPayload> {
        let p = writer(ctx)?;
        let id = decode_kind(&input.playlist_id, Kind::Playlist, "input.playlistId")?;
        let items = input.items.into_iter().map(Into::into).collect();
        items_payload(store::add_items(db(ctx)?, ctx.data::<Bus>()?, p, id, items).await)
    }

    /// Edits an item's content, mastery plan or competencies. Needs `playlists.write`.
    async fn update_playlist_item(
        &self,
        ctx: &Context<'_>,
        input: UpdatePlaylistItemInput,
    ) -> async_graphql::Result<PlaylistItemPayload> {
        let p = writer(ctx)?;
        let id = decode_kind(&input.item_id, Kind::PlaylistItem, "input.itemId")?;
        let c = ItemChanges {
            title: input.title,
            description: maybe(input.description),
            resource_url: maybe(input.resource_url),
            tool: maybe(input.tool),
            estimated_minutes: maybe(input.estimated_minutes),
            evidence: input.evidence.map(Into::into),
            target_date: maybe(input.target_date),
            competencies: input.competency_ids,
        };
        item_payload(store::update_item(db(ctx)?, ctx.data::<Bus>()?, p, id, c).await)
    }

    /// Removes an item from its playlist. Needs `playlists.write`.
    async fn remove_playlist_item(
        &self,
        ctx: &Context<'_>,
        input: RemovePlaylistItemInput,
    ) -> async_graphql::Result<DeletePayload> {
        let p = writer(ctx)?;
        let id = decode_kind(&input.item_id, Kind::PlaylistItem, "input.itemId")?;
        Ok(match into_user_errors(store::remove_item(db(ctx)?, ctx.data::<Bus>()?, p, id).await)? {
            Ok(()) => DeletePayload { deleted_id: Some(input.item_id), user_errors: vec![] },
            Err(user_errors) => DeletePayload { deleted_id: None, user_errors },
        })
    }

    /// Puts a playlist's items in a new order. Needs `playlists.write`.
    async fn reorder_playlist_items(
        &self,
        ctx: &Context<'_>,
        input: ReorderPlaylistItemsInput,
    ) -> async_graphql::Result<PlaylistItemsPayload> {
        let p = writer(ctx)?;
        let id = decode_kind(&input.playlist_id, Kind::Playlist, "input.playlistId")?;
        let order = input
            .item_ids
            .iter()
            .map(|i| decode_kind(i, Kind::PlaylistItem, "input.itemIds"))
            .collect::<Result<Vec<_>, _>>()?;
        items_payload(store::reorder(db(ctx)?, ctx.data::<Bus>()?, p, id, order).await)
    }

    /// Moves an item to another state (validated), recording who and when. Learners (with
    /// `playlists.write`) start and submit their own items; staff decide mastery and revision.
    async fn set_playlist_item_state(
        &self,
        ctx: &Context<'_>,
        input: SetPlaylistItemStateInput,
    ) -> async_graphql::Result<PlaylistItemPayload> {
        let p = writer(ctx)?;
        let id = decode_kind(&input.item_id, Kind::PlaylistItem, "input.itemId")?;
        item_payload(store::set_item_state(db(ctx)?, ctx.data::<Bus>()?, p, id, input.state.into(), input.note).await)
    }

    /// Gives every learner of a class their own copy of a template (learners who have one
    /// keep it). Needs `playlists.write`.
    async fn assign_playlist_template(
        &self,
        ctx: &Context<'_>,
        input: AssignPlaylistTemplateInput,
    ) -> async_graphql::Result<AssignPlaylistTemplatePayload> {
        let p = writer(ctx)?;
        let id = decode_kind(&input.template_id, Kind::Playlist, "input.templateId")?;
        let r = store::assign_template(db(ctx)?, ctx.data::<Bus>()?, p, id, &input.class_sourced_id).await;
        Ok(match into_user_errors(r)? {
            Ok(a) => AssignPlaylistTemplatePayload {
                playlists: a.created.into_iter().map(Playlist).collect(),
                already_assigned: i32::try_from(a.already_assigned).unwrap_or(i32::MAX),
                user_errors: vec![],
            },
            Err(user_errors) => AssignPlaylistTemplatePayload { playlists: vec![], already_assigned: 0, user_errors },
        })
    }
}
