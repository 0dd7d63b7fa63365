//! The people of an emulated site: the seeded ones, loading others from a file, and reading
//! a person's fields back.
//!
//! A person is the `user_info` object exactly as `get_user_info` sends it: fields in order,
//! every value a string or null, text stored the way the site stores it, that is already
//! HTML-entity-encoded (`Jos&eacute;`). Loaded files are taken as given: the emulator does not
//! entity-encode plain text for you, so a file can reproduce any server, including a fork
//! that stores text differently.

use std::collections::HashSet;
use std::hash::Hash;
use std::path::Path;
use std::sync::Arc;

use crate::error::{Context, bail};
use indexmap::IndexMap;
use serde_json::{Map, Value};

/// Four people whose data exercises what real servers send: entity-encoded names and
/// biographies, nulls, non-Latin scripts and an emoji (sent as `\uXXXX`), 2.x and 4.x
/// genders and fields, and a field no documentation mentions.
pub fn seed_users() -> Vec<Map<String, Value>> {
    [JOSE, HANAKO, AMIRA, SAM]
        .iter()
        .map(|fields| person(fields))
        .collect()
}

const JOSE: &[(&str, Option<&str>)] = &[
    ("user_id", Some("1")),
    ("user_name", Some("jose")),
    ("user_email", Some("jose@example.com")),
    ("user_firstname", Some("Jos&eacute;")),
    ("user_lastname", Some("O&#039;Brien")),
    ("user_gender", Some("Male")),
    ("user_birthdate", Some("1990-04-12")),
    (
        "user_picture",
        Some("photos/2023/05/pipichat_4e1f0b5c2a9d8e7f.jpg"),
    ),
    (
        "user_cover",
        Some("photos/2023/05/pipichat_cover_9a8b7c6d.jpg"),
    ),
    ("user_registered", Some("2019-08-14 09:21:07")),
    ("user_verified", Some("1")),
    ("user_relationship", Some("married")),
    (
        "user_biography",
        Some(
            "Caf&eacute; owner &amp; amateur baker. Says &quot;bonjour&quot; &lt;3 \
                 &mdash; Dublin/Lyon",
        ),
    ),
    ("user_website", Some("https://jose.example.com/")),
    (
        "profile_picture",
        Some("https://pipichat.com/content/uploads/photos/2023/05/pipichat_4e1f0b5c2a9d8e7f.jpg"),
    ),
    (
        "profile_cover",
        Some("https://pipichat.com/content/uploads/"),
    ),
];

const HANAKO: &[(&str, Option<&str>)] = &[
    ("user_id", Some("2")),
    ("user_name", Some("hanako")),
    ("user_email", Some("hanako.yamada@example.jp")),
    ("user_firstname", Some("花子")),
    ("user_lastname", Some("山田")),
    ("user_gender", Some("Female")),
    ("user_birthdate", None),
    ("user_picture", None),
    ("user_cover", None),
    ("user_registered", Some("2022-01-03 23:59:59")),
    ("user_verified", Some("0")),
    ("user_relationship", None),
    ("user_biography", Some("東京在住 🌸 写真が好き")),
    ("user_website", None),
    (
        "profile_picture",
        Some("https://pipichat.com/content/themes/default/images/blank_profile_female.png"),
    ),
    (
        "profile_cover",
        Some("https://pipichat.com/content/uploads/"),
    ),
];

/// Sngine 2.x: lowercase gender, no profile_picture/profile_cover.
const AMIRA: &[(&str, Option<&str>)] = &[
    ("user_id", Some("3")),
    ("user_name", Some("amira")),
    ("user_email", Some("amira@example.org")),
    ("user_firstname", Some("أميرة")),
    ("user_lastname", Some("حداد")),
    ("user_gender", Some("female")),
    ("user_birthdate", Some("1985-11-30")),
    ("user_picture", Some("photos/2017/02/sngine_8c1d2e3f.png")),
    ("user_cover", None),
    ("user_registered", Some("2017-02-20 14:05:33")),
    ("user_verified", Some("0")),
    ("user_relationship", Some("single")),
    ("user_biography", None),
    ("user_website", Some("")),
];

/// A fork that adds a field, and a person who gave no gender.
const SAM: &[(&str, Option<&str>)] = &[
    ("user_id", Some("17")),
    ("user_name", Some("sam")),
    ("user_email", Some("sam@example.net")),
    ("user_firstname", Some("Sam")),
    ("user_lastname", Some("Taylor-Smith")),
    ("user_gender", Some("N/A")),
    ("user_birthdate", None),
    ("user_picture", None),
    ("user_cover", None),
    ("user_registered", Some("2024-06-01 00:00:00")),
    ("user_verified", Some("0")),
    ("user_relationship", Some("complicated")),
    (
        "user_biography",
        Some("I write about &lt;code&gt; &amp; coffee. 100% &quot;real&quot;."),
    ),
    (
        "user_website",
        Some("https://sam.example.net/blog/?from=pipichat"),
    ),
    (
        "profile_picture",
        Some("https://pipichat.com/content/themes/default/images/blank_profile.png"),
    ),
    (
        "profile_cover",
        Some("https://pipichat.com/content/uploads/"),
    ),
    ("user_pronouns", Some("they/them")),
];

fn person(fields: &[(&str, Option<&str>)]) -> Map<String, Value> {
    fields
        .iter()
        .map(|(name, value)| {
            let value = value.map_or(Value::Null, |text| Value::String(text.to_owned()));
            ((*name).to_owned(), value)
        })
        .collect()
}

/// Reads people from a JSON file: an array of objects, each with a non-empty, unique
/// `user_id`. Values must be strings or null, as a mysqli row holds them; numbers and
/// booleans are turned into strings as PHP would (`true` is `"1"`, `false` is `""`).
/// Text is taken as given (see the module comment).
pub fn load_users(path: &Path) -> crate::Result<Vec<Map<String, Value>>> {
    let text = std::fs::read_to_string(path)
        .with_context(|| format!("failed to read users file {}", path.display()))?;
    parse_users(&text).with_context(|| format!("invalid users file {}", path.display()))
}

/// The checks and conversions of [`load_users`], on text. Linear in the number of people:
/// a repeated `user_id` is found through an index, not by comparing every pair.
pub(crate) fn parse_users(text: &str) -> crate::Result<Vec<Map<String, Value>>> {
    let value: Value = serde_json::from_str(text).context("not valid JSON")?;
    let Value::Array(items) = value else {
        bail!("expected a JSON array of objects, one per person");
    };
    people_from_items(items)
}

/// Each item checked as a person, and no `user_id` used twice; errors name the item.
pub(crate) fn people_from_items(items: Vec<Value>) -> crate::Result<Vec<Map<String, Value>>> {
    let people = items
        .into_iter()
        .enumerate()
        .map(|(index, item)| parse_person(item).with_context(|| format!("users[{index}]")))
        .collect::<crate::Result<Vec<_>>>()?;
    if let Some((index, id)) = first_repeat(people.iter().map(|person| user_id(person))) {
        bail!(
            "users[{index}]: user_id {:?} is used twice",
            id.unwrap_or_default()
        );
    }
    Ok(people)
}

/// One person: an object whose values become strings or null as PHP would, with a
/// non-empty `user_id`.
fn parse_person(item: Value) -> crate::Result<Map<String, Value>> {
    let Value::Object(fields) = item else {
        bail!("expected an object");
    };
    let mut person = Map::with_capacity(fields.len());
    for (name, value) in fields {
        let value = php_string(value)
            .with_context(|| format!("{name}: expected a string, number, boolean or null"))?;
        person.insert(name, value);
    }
    match person.get("user_id") {
        Some(Value::String(id)) if !id.trim().is_empty() => Ok(person),
        _ => bail!("user_id is missing or empty"),
    }
}

/// The first key that came before, and where: one hash lookup per key.
pub(crate) fn first_repeat<K: Hash + Eq>(keys: impl IntoIterator<Item = K>) -> Option<(usize, K)> {
    let mut seen = HashSet::new();
    for (index, key) in keys.into_iter().enumerate() {
        if let Some(key) = seen.replace(key) {
            return Some((index, key));
        }
    }
    None
}

/// The people of a running site, found by `user_id` and listed in the order they came.
/// Each is shared, so that listing them copies pointers, not people.
#[derive(Clone, Debug, Default)]
pub(crate) struct People {
    by_id: IndexMap<String, Arc<Map<String, Value>>>,
}

impl People {
    /// The people given, in order; a later one with the same `user_id` replaces an earlier
    /// one, and one without a `user_id` is left out.
    pub fn new(list: Vec<Map<String, Value>>) -> People {
        let mut people = People::default();
        for person in list {
            people.put(person);
        }
        people
    }

    /// Adds a person, or replaces the one with the same `user_id` in its place; says
    /// whether one was replaced.
    pub fn put(&mut self, person: Map<String, Value>) -> bool {
        let Some(id) = user_id(&person).map(str::to_owned) else {
            return false;
        };
        self.by_id.insert(id, Arc::new(person)).is_some()
    }

    /// Removes a person; says whether there was one.
    pub fn remove(&mut self, user_id: &str) -> bool {
        self.by_id.shift_remove(user_id).is_some()
    }

    pub fn get(&self, user_id: &str) -> Option<&Arc<Map<String, Value>>> {
        self.by_id.get(user_id)
    }

    pub fn contains(&self, user_id: &str) -> bool {
        self.by_id.contains_key(user_id)
    }

    pub fn len(&self) -> usize {
        self.by_id.len()
    }

    /// Each person with their `user_id`, in order.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &Arc<Map<String, Value>>)> {
        self.by_id.iter().map(|(id, person)| (id.as_str(), person))
    }
}

/// A value as PHP's string conversion leaves it; arrays and objects have no place in a row.
fn php_string(value: Value) -> Option<Value> {
    match value {
        Value::Null | Value::String(_) => Some(value),
        Value::Bool(true) => Some(Value::String("1".to_owned())),
        Value::Bool(false) => Some(Value::String(String::new())),
        Value::Number(number) => {
            let text = match number.as_f64() {
                // PHP prints whole floats without a fraction: (string)2.0 is "2".
                Some(float) if number.is_f64() && float.fract() == 0.0 && float.abs() < 1e15 => {
                    format!("{float:.0}")
                }
                _ => number.to_string(),
            };
            Some(Value::String(text))
        }
        Value::Array(_) | Value::Object(_) => None,
    }
}

/// A person's `user_id`.
pub(crate) fn user_id(person: &Map<String, Value>) -> Option<&str> {
    person.get("user_id").and_then(Value::as_str)
}

/// A text field, or "" when it is null or absent.
pub(crate) fn field<'a>(person: &'a Map<String, Value>, name: &str) -> &'a str {
    person.get(name).and_then(Value::as_str).unwrap_or("")
}

/// The name a page shows: first and last name with their entities decoded, or the handle.
pub(crate) fn display_name(person: &Map<String, Value>) -> String {
    let first = html_escape::decode_html_entities(field(person, "user_firstname"));
    let last = html_escape::decode_html_entities(field(person, "user_lastname"));
    let name = format!("{} {}", first.trim(), last.trim())
        .trim()
        .to_owned();
    if name.is_empty() {
        field(person, "user_name").to_owned()
    } else {
        name
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seeds_are_rows_of_strings_and_nulls() {
        let people = seed_users();
        assert!(people.len() >= 3);
        for person in &people {
            assert!(user_id(person).is_some());
            assert!(person.values().all(|v| v.is_string() || v.is_null()));
        }
        let jose = &people[0];
        assert_eq!(user_id(jose), Some("1"));
        assert_eq!(field(jose, "user_name"), "jose");
        assert_eq!(display_name(jose), "José O'Brien");
    }

    #[test]
    fn display_names_decode_entities_or_fall_back_to_the_handle() {
        let people = seed_users();
        assert_eq!(display_name(&people[1]), "花子 山田");
        let mut nameless = people[0].clone();
        nameless.insert("user_firstname".into(), Value::Null);
        nameless.insert("user_lastname".into(), Value::String(" ".into()));
        assert_eq!(display_name(&nameless), "jose");
    }

    #[test]
    fn loaded_values_become_php_strings() {
        let people = parse_users(
            r#"[{"user_id": 7, "user_name": "x", "user_verified": true, "flag": false,
                 "score": 2.0, "ratio": 0.5, "user_birthdate": null,
                 "user_firstname": "Jos&eacute;"}]"#,
        )
        .unwrap();
        let person = &people[0];
        assert_eq!(person["user_id"], "7");
        assert_eq!(person["user_verified"], "1");
        assert_eq!(person["flag"], "");
        assert_eq!(person["score"], "2");
        assert_eq!(person["ratio"], "0.5");
        assert!(person["user_birthdate"].is_null());
        assert_eq!(person["user_firstname"], "Jos&eacute;");
        let order: Vec<&str> = person.keys().map(String::as_str).collect();
        assert_eq!(order[..3], ["user_id", "user_name", "user_verified"]);
    }

    #[test]
    fn bad_files_say_what_is_wrong() {
        let table = [
            ("{", "not valid JSON"),
            (r#"{"user_id": "1"}"#, "expected a JSON array"),
            (r#"["jose"]"#, "users[0]: expected an object"),
            (r#"[{"user_name": "x"}]"#, "users[0]: user_id is missing"),
            (
                r#"[{"user_id": " "}]"#,
                "users[0]: user_id is missing or empty",
            ),
            (r#"[{"user_id": "1", "tags": ["a"]}]"#, "users[0]: tags"),
            (
                r#"[{"user_id": "1"}, {"user_id": 1}]"#,
                "users[1]: user_id \"1\" is used twice",
            ),
        ];
        for (text, reason) in table {
            let error = format!("{:#}", parse_users(text).unwrap_err());
            assert!(error.contains(reason), "{text}: {error}");
        }
    }

    /// A key that counts how often it is hashed and compared, to measure the work of
    /// finding repeats by counting rather than by timing.
    #[derive(Debug)]
    struct Counted<'a>(u64, &'a std::cell::Cell<u64>);

    impl PartialEq for Counted<'_> {
        fn eq(&self, other: &Self) -> bool {
            self.1.set(self.1.get() + 1);
            self.0 == other.0
        }
    }
    impl Eq for Counted<'_> {}
    impl Hash for Counted<'_> {
        fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
            self.1.set(self.1.get() + 1);
            self.0.hash(state);
        }
    }

    #[test]
    fn finding_repeats_takes_work_in_proportion_to_the_people() {
        let work = |n: u64| {
            let count = std::cell::Cell::new(0);
            assert!(first_repeat((0..n).map(|i| Counted(i, &count))).is_none());
            count.get()
        };
        let (small, large) = (work(10_000), work(40_000));
        // Four times the people, four times the work (a pairwise search would be sixteen).
        assert!(large <= 5 * small, "{small} then {large}");
        assert!(large <= 3 * 40_000, "{large} steps for 40000 people");
        let count = std::cell::Cell::new(0);
        let keys = [1, 2, 3, 2].map(|i| Counted(i, &count));
        assert_eq!(
            first_repeat(keys).map(|(at, key)| (at, key.0)),
            Some((3, 2))
        );
    }

    #[test]
    fn forty_thousand_people_load_and_are_found_by_id() {
        let list: Vec<Value> = (1..=40_000)
            .map(|i| serde_json::json!({"user_id": i.to_string(), "user_name": format!("u{i}")}))
            .collect();
        let people = parse_users(&Value::Array(list).to_string()).unwrap();
        let people = People::new(people);
        assert_eq!(people.len(), 40_000);
        assert_eq!(field(people.get("39999").unwrap(), "user_name"), "u39999");
        assert_eq!(people.iter().next().map(|(id, _)| id), Some("1"));
    }

    #[test]
    fn people_are_replaced_in_place_and_removed() {
        let mut people = People::new(seed_users());
        let mut jose = people.get("1").unwrap().as_ref().clone();
        jose.insert("user_name".into(), Value::String("joe".into()));
        assert!(people.put(jose));
        assert_eq!(
            people.iter().next().map(|(_, p)| field(p, "user_name")),
            Some("joe")
        );
        assert!(people.remove("2"));
        assert!(!people.remove("2"));
        assert_eq!(people.len(), seed_users().len() - 1);
    }

    #[test]
    fn load_users_names_the_file() {
        let error = load_users(Path::new("/nonexistent/users.json")).unwrap_err();
        assert!(format!("{error:#}").contains("/nonexistent/users.json"));
    }
}
