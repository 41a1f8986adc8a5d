//! Per-company metadata as pure rules: a company's edit of a picklist's options, stage sets
//! (an opportunity's stages with win rates, as data), and record types (业务类型), which
//! choose a stage set, extra required fields and the fields a form shows.

use crate::fields::{FieldDef, FieldType, PicklistOption};
use serde::{Deserialize, Serialize};

/// Standard picklists whose keys the code itself relies on, changed elsewhere or not at all:
/// stages come from stage sets, record types from their own list, currencies fix the places
/// of money.
pub const NOT_EDITABLE: &[&str] = &["stage", "record_type", "currency"];

/// The longest option key and label.
const KEY_MAX: usize = 40;
const LABEL_MAX: usize = 100;

/// The most stages a set may have (the methodology's limit).
pub const MAX_STAGES: usize = 12;

fn key_ok(key: &str) -> bool {
    !key.is_empty()
        && key.len() <= KEY_MAX
        && key
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
}

fn label_ok(label: &str) -> bool {
    !label.trim().is_empty() && label.chars().count() <= LABEL_MAX
}

/// Whether a field's choices may be edited by a company.
pub fn editable(field: &FieldDef) -> Result<(), &'static str> {
    if !matches!(
        field.field_type,
        FieldType::Picklist | FieldType::MultiSelect
    ) {
        return Err("not_a_picklist");
    }
    if NOT_EDITABLE.contains(&field.key.as_str()) {
        return Err("not_editable");
    }
    Ok(())
}

/// The options a company's edit leaves: the submitted list in its order, then every current
/// key the edit left out, kept inactive — a value in use is never deleted, so omitting a key
/// deactivates it. Problems are (field, code) pairs: `options[{i}].key` and so on.
pub fn merge_options(
    field: &FieldDef,
    current: &[PicklistOption],
    submitted: &[PicklistOption],
) -> Result<Vec<PicklistOption>, Vec<(String, &'static str)>> {
    let mut problems = Vec::new();
    for (i, option) in submitted.iter().enumerate() {
        if !key_ok(&option.key) {
            problems.push((format!("options[{i}].key"), "invalid_key"));
        } else if submitted[..i].iter().any(|o| o.key == option.key) {
            problems.push((format!("options[{i}].key"), "duplicate_name"));
        }
        if !label_ok(&option.label_zh) {
            problems.push((format!("options[{i}].label_zh"), "required"));
        }
        if !label_ok(&option.label_en) {
            problems.push((format!("options[{i}].label_en"), "required"));
        }
    }
    let mut merged: Vec<PicklistOption> = submitted.to_vec();
    for old in current {
        if !merged.iter().any(|o| o.key == old.key) {
            merged.push(PicklistOption {
                active: false,
                ..old.clone()
            });
        }
    }
    if merged.iter().all(|o| !o.active) {
        problems.push(("options".into(), "required"));
    }
    // A default choice must stay on offer: a new record would otherwise be refused.
    if let Some(default) = &field.default_value {
        if !merged.iter().any(|o| &o.key == default && o.active) {
            problems.push(("options".into(), "default_inactive"));
        }
    }
    if problems.is_empty() {
        Ok(merged)
    } else {
        Err(problems)
    }
}

/// Whether a stage ends the opportunity, and how.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Closed {
    Won,
    Lost,
}

impl Closed {
    pub fn key(self) -> &'static str {
        match self {
            Closed::Won => "won",
            Closed::Lost => "lost",
        }
    }

    pub fn parse(key: &str) -> Option<Closed> {
        match key {
            "won" => Some(Closed::Won),
            "lost" => Some(Closed::Lost),
            _ => None,
        }
    }
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Stage {
    pub key: String,
    pub name_zh: String,
    pub name_en: String,
    /// Percent, 0–100.
    pub win_rate: u32,
    #[serde(default)]
    pub closed: Option<Closed>,
    /// What working the stage takes and what leaving it forward needs (`crate::stages`).
    #[serde(default)]
    pub gate: crate::stages::Gate,
}

/// An ordered set of stages.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StageSet {
    pub key: String,
    pub name_zh: String,
    pub name_en: String,
    pub stages: Vec<Stage>,
}

/// The key of the set every company starts with.
pub const DEFAULT_SET: &str = "default";

impl StageSet {
    /// The stages opportunities had before stage sets were data: every company's first set.
    pub fn standard() -> StageSet {
        StageSet {
            key: DEFAULT_SET.into(),
            name_zh: "标准销售阶段".into(),
            name_en: "Standard stages".into(),
            stages: crate::objects::STAGES
                .iter()
                .map(|(key, zh, en, rate)| Stage {
                    key: (*key).into(),
                    name_zh: (*zh).into(),
                    name_en: (*en).into(),
                    win_rate: *rate,
                    closed: Closed::parse(key),
                    gate: Default::default(),
                })
                .collect(),
        }
    }

    pub fn stage(&self, key: &str) -> Option<&Stage> {
        self.stages.iter().find(|s| s.key == key)
    }

    /// The win rate of a stage of this set.
    pub fn win_rate(&self, stage: &str) -> Option<u32> {
        self.stage(stage).map(|s| s.win_rate)
    }

    /// Whether a stage of this set ends the opportunity (won or lost).
    pub fn is_closed(&self, stage: &str) -> bool {
        self.stage(stage).is_some_and(|s| s.closed.is_some())
    }

    /// The first stage: a new opportunity's default.
    pub fn first(&self) -> Option<&str> {
        self.stages.first().map(|s| s.key.as_str())
    }

    /// The stages as picklist options.
    pub fn options(&self) -> Vec<PicklistOption> {
        self.stages
            .iter()
            .map(|s| PicklistOption {
                key: s.key.clone(),
                label_zh: s.name_zh.clone(),
                label_en: s.name_en.clone(),
                active: true,
            })
            .collect()
    }

    /// Problems of a set an administrator submits, as (field, code).
    pub fn check(&self) -> Vec<(String, &'static str)> {
        let mut problems = Vec::new();
        if !key_ok(&self.key) {
            problems.push(("key".into(), "invalid_key"));
        }
        if !label_ok(&self.name_zh) {
            problems.push(("name_zh".into(), "required"));
        }
        if !label_ok(&self.name_en) {
            problems.push(("name_en".into(), "required"));
        }
        if self.stages.is_empty() {
            problems.push(("stages".into(), "required"));
        }
        if self.stages.len() > MAX_STAGES {
            problems.push(("stages".into(), "too_many"));
        }
        for (i, stage) in self.stages.iter().enumerate() {
            if !key_ok(&stage.key) {
                problems.push((format!("stages[{i}].key"), "invalid_key"));
            } else if self.stages[..i].iter().any(|s| s.key == stage.key) {
                problems.push((format!("stages[{i}].key"), "duplicate_name"));
            }
            if !label_ok(&stage.name_zh) {
                problems.push((format!("stages[{i}].name_zh"), "required"));
            }
            if !label_ok(&stage.name_en) {
                problems.push((format!("stages[{i}].name_en"), "required"));
            }
            if stage.win_rate > 100 {
                problems.push((format!("stages[{i}].win_rate"), "above_max"));
            }
            stage.gate.check(&format!("stages[{i}]."), &mut problems);
        }
        if !self.stages.is_empty() && self.stages.iter().all(|s| s.closed.is_some()) {
            problems.push(("stages".into(), "no_open_stage"));
        }
        problems
    }
}

/// The stages of every set, each key once (the first set's labels), for filters and the
/// field's list of values: a record's own set is checked by its rule.
pub fn all_stage_options(sets: &[StageSet]) -> Vec<PicklistOption> {
    let mut out: Vec<PicklistOption> = Vec::new();
    for set in sets {
        for option in set.options() {
            if !out.iter().any(|o| o.key == option.key) {
                out.push(option);
            }
        }
    }
    out
}

/// A record type (业务类型) of an object.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RecordType {
    pub id: uuid::Uuid,
    pub object: String,
    pub key: String,
    pub name_zh: String,
    pub name_en: String,
    pub active: bool,
    pub is_default: bool,
    /// The stage set its records use (opportunities); `None`: the default set.
    pub stage_set: Option<String>,
    /// Fields required on its records beside the standard required ones.
    pub required_fields: Vec<String>,
    /// The fields its form and record page show; empty: all of them.
    pub layout_fields: Vec<String>,
    /// Follow-up deadlines by intent level, for leads of this business line; a level it does
    /// not name keeps its default (`crate::follow_up::DEFAULT_DAYS`).
    #[serde(default)]
    pub follow_up_days: crate::follow_up::Deadlines,
}

impl RecordType {
    pub fn name(&self, zh: bool) -> &str {
        if zh {
            &self.name_zh
        } else {
            &self.name_en
        }
    }

    /// Whether its layout shows a field (required fields and the name always show).
    pub fn shows(&self, field: &str) -> bool {
        self.layout_fields.is_empty()
            || field == "name"
            || field == "record_type"
            || self.layout_fields.iter().any(|f| f == field)
            || self.required_fields.iter().any(|f| f == field)
    }

    /// The record type of a record whose `record_type` holds `key` (none: the default one).
    pub fn of<'a>(types: &'a [RecordType], key: Option<&str>) -> Option<&'a RecordType> {
        match key {
            Some(key) => types.iter().find(|t| t.key == key),
            None => types.iter().find(|t| t.is_default && t.active),
        }
    }

    /// The record types as picklist options.
    pub fn options(types: &[RecordType]) -> Vec<PicklistOption> {
        types
            .iter()
            .map(|t| PicklistOption {
                key: t.key.clone(),
                label_zh: t.name_zh.clone(),
                label_en: t.name_en.clone(),
                active: t.active,
            })
            .collect()
    }

    /// Problems of a type an administrator submits, as (field, code): `fields` are the
    /// object's writable fields, `sets` the stage sets of the company.
    pub fn check(&self, fields: &[&FieldDef], sets: &[String]) -> Vec<(String, &'static str)> {
        let mut problems = Vec::new();
        if !key_ok(&self.key) {
            problems.push(("key".into(), "invalid_key"));
        }
        if !label_ok(&self.name_zh) {
            problems.push(("name_zh".into(), "required"));
        }
        if !label_ok(&self.name_en) {
            problems.push(("name_en".into(), "required"));
        }
        if let Some(set) = &self.stage_set {
            if self.object != "opportunity" {
                problems.push(("stage_set".into(), "unknown_field"));
            } else if !sets.contains(set) {
                problems.push(("stage_set".into(), "invalid_choice"));
            }
        }
        for (name, list) in [
            ("required_fields", &self.required_fields),
            ("layout_fields", &self.layout_fields),
        ] {
            for (i, key) in list.iter().enumerate() {
                if !fields.iter().any(|f| &f.key == key) || key == "record_type" {
                    problems.push((format!("{name}[{i}]"), "unknown_field"));
                }
            }
        }
        if self.is_default && !self.active {
            problems.push(("active".into(), "default_inactive"));
        }
        if self.object != "lead" && !self.follow_up_days.is_empty() {
            problems.push(("follow_up_days".into(), "unknown_field"));
        }
        problems.extend(crate::follow_up::check(&self.follow_up_days));
        problems
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn option(key: &str, active: bool) -> PicklistOption {
        PicklistOption {
            key: key.into(),
            label_zh: format!("{key}中"),
            label_en: key.into(),
            active,
        }
    }

    fn picklist() -> FieldDef {
        crate::objects::spec(crate::permissions::ObjectKind::Lead)
            .and_then(|s| s.field("source"))
            .cloned()
            .expect("lead source")
    }

    #[test]
    fn omitted_options_are_kept_inactive() {
        let field = picklist();
        let current = vec![option("web", true), option("phone", true)];
        let merged = merge_options(
            &field,
            &current,
            &[option("web", true), option("fair", true)],
        )
        .expect("valid");
        let keys: Vec<(&str, bool)> = merged.iter().map(|o| (o.key.as_str(), o.active)).collect();
        assert_eq!(keys, [("web", true), ("fair", true), ("phone", false)]);
    }

    #[test]
    fn bad_options_are_named() {
        let field = picklist();
        let mut empty = option("x", true);
        empty.label_en = " ".into();
        let problems =
            merge_options(&field, &[], &[option("a", true), option("a", true), empty]).unwrap_err();
        assert!(problems.contains(&("options[1].key".into(), "duplicate_name")));
        assert!(problems.contains(&("options[2].label_en".into(), "required")));
        let problems = merge_options(&field, &[], &[option("a b", true)]).unwrap_err();
        assert_eq!(problems, [("options[0].key".to_string(), "invalid_key")]);
        let problems = merge_options(&field, &[], &[option("a", false)]).unwrap_err();
        assert_eq!(problems, [("options".to_string(), "required")]);
    }

    #[test]
    fn the_standard_set_carries_win_rates_and_closing_stages() {
        let set = StageSet::standard();
        assert_eq!(set.win_rate("initial"), Some(10));
        assert_eq!(set.win_rate("negotiation"), Some(70));
        assert_eq!(set.win_rate("lost"), Some(0));
        assert_eq!(set.win_rate("elsewhere"), None);
        assert!(set.is_closed("won") && set.is_closed("lost") && !set.is_closed("proposal"));
        assert!(set.check().is_empty());
        assert_eq!(set.first(), Some("initial"));
    }

    #[test]
    fn a_set_is_checked() {
        let mut set = StageSet::standard();
        set.stages[1].key = "initial".into();
        set.stages[2].win_rate = 101;
        let problems = set.check();
        assert!(problems.contains(&("stages[1].key".into(), "duplicate_name")));
        assert!(problems.contains(&("stages[2].win_rate".into(), "above_max")));
        let mut set = StageSet::standard();
        while set.stages.len() <= MAX_STAGES {
            let mut extra = set.stages[0].clone();
            extra.key = format!("s{}", set.stages.len());
            set.stages.push(extra);
        }
        assert!(set.check().contains(&("stages".into(), "too_many")));
    }

    #[test]
    fn a_record_type_shows_its_layout_and_required_fields() {
        let t = RecordType {
            id: uuid::Uuid::nil(),
            object: "opportunity".into(),
            key: "project".into(),
            name_zh: "项目".into(),
            name_en: "Project".into(),
            active: true,
            is_default: false,
            stage_set: None,
            required_fields: vec!["amount".into()],
            layout_fields: vec!["stage".into()],
            follow_up_days: Default::default(),
        };
        assert!(t.shows("name") && t.shows("stage") && t.shows("amount"));
        assert!(!t.shows("notes"));
        let types = [t];
        assert!(RecordType::of(&types, None).is_none());
        assert!(RecordType::of(&types, Some("project")).is_some());
    }
}
