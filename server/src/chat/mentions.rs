//! `@name` mentions: which members of the room a message names, read at Send and Edit.

use crate::{
    domain::{LOBBY_ROOM_ID, fold_name, is_name_char},
    entity::{room_member, user},
    error::Result,
};
use sea_orm::{
    ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QuerySelect,
    sea_query::{Expr, ExprTrait, Query},
};

/// At most this many distinct names are looked up per message.
const MAX_CANDIDATES: usize = 50;

/// The folded names written as `@name` in `content`, first appearance first. A name ends
/// at the first character that cannot be in one; a trailing `.` or `-` (the end of a
/// sentence: "thanks @bob.") is also tried without it.
pub fn candidates(content: &str) -> Vec<String> {
    let mut keys: Vec<String> = Vec::new();
    let mut push = |name: &str| {
        if !name.is_empty() && keys.len() < MAX_CANDIDATES {
            let key = fold_name(name);
            if !keys.contains(&key) {
                keys.push(key);
            }
        }
    };
    let mut rest = content;
    while let Some(at) = rest.find('@') {
        let after = &rest[at + 1..];
        let end = after
            .find(|c: char| !is_name_char(c))
            .unwrap_or(after.len());
        let name = &after[..end];
        push(name);
        push(name.trim_end_matches(['.', '-']));
        rest = &after[end..];
    }
    keys
}

/// The ids of the room's members other than `author` that `content` mentions, each once,
/// in the order they are first named. No query when there is no `@`.
pub async fn resolve<C: ConnectionTrait>(
    db: &C,
    room_id: &str,
    author: &str,
    content: &str,
) -> Result<Vec<String>> {
    let keys = candidates(content);
    if keys.is_empty() {
        return Ok(Vec::new());
    }
    let mut query = user::Entity::find()
        .select_only()
        .column(user::Column::Id)
        .column(user::Column::NameKey)
        .filter(user::Column::NameKey.is_in(keys.clone()))
        .filter(user::Column::Id.ne(author));
    if room_id != LOBBY_ROOM_ID {
        let members = Query::select()
            .column(room_member::Column::UserId)
            .from(room_member::Entity)
            .and_where(Expr::col(room_member::Column::RoomId).eq(room_id))
            .to_owned();
        query = query.filter(user::Column::Id.in_subquery(members));
    }
    let found: Vec<(String, String)> = query.into_tuple().all(db).await?;
    let mut ids: Vec<String> = Vec::new();
    for key in &keys {
        if let Some((id, _)) = found.iter().find(|(_, k)| k == key)
            && !ids.contains(id)
        {
            ids.push(id.clone());
        }
    }
    Ok(ids)
}

/// As stored in `messages.mentioned_user_ids`.
pub fn to_stored(ids: &[String]) -> String {
    ids.join(",")
}

pub fn from_stored(stored: &str) -> Vec<String> {
    stored
        .split(',')
        .filter(|id| !id.is_empty())
        .map(str::to_owned)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_end_at_a_character_that_cannot_be_in_one() {
        assert_eq!(candidates("hi @Bob, and @ann!"), ["bob", "ann"]);
        assert_eq!(candidates("@bob @BOB @bob"), ["bob"]);
        assert_eq!(candidates("mail me@x"), ["x"]);
        assert!(candidates("no mentions @ all").is_empty());
    }

    #[test]
    fn a_sentence_end_is_tried_without_its_dot() {
        assert_eq!(candidates("thanks @bob."), ["bob.", "bob"]);
        assert_eq!(candidates("@a.b"), ["a.b"]);
    }

    #[test]
    fn the_lookup_is_bounded() {
        let many: String = (0..200).map(|i| format!("@user{i} ")).collect();
        assert_eq!(candidates(&many).len(), MAX_CANDIDATES);
    }

    #[test]
    fn the_stored_form_round_trips() {
        let ids = vec!["a".to_owned(), "b".to_owned()];
        assert_eq!(from_stored(&to_stored(&ids)), ids);
        assert!(from_stored("").is_empty());
    }
}
