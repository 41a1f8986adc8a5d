//! The sales process on a stage set (业务类型 / 销售阶段) as pure rules: what each stage takes
//! (expected duration, key activities, the milestone that ends it, the step of the customer's
//! buying process it serves) and its gate (required fields and checklist items, 清单检查);
//! whether a move goes forward, what a forward move still lacks, how a deal's stage maps onto
//! another set, when a stage is due soon or overdue, and the two templates a company installs.

use crate::picklists::{Closed, Stage, StageSet};
use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};

/// A text in both languages.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Texts {
    #[serde(default)]
    pub zh: String,
    #[serde(default)]
    pub en: String,
}

impl Texts {
    pub fn new(zh: &str, en: &str) -> Texts {
        Texts {
            zh: zh.into(),
            en: en.into(),
        }
    }

    pub fn get(&self, zh: bool) -> &str {
        match (zh, self.zh.is_empty(), self.en.is_empty()) {
            (true, false, _) | (false, _, true) => &self.zh,
            _ => &self.en,
        }
    }

    pub fn is_empty(&self) -> bool {
        self.zh.trim().is_empty() && self.en.trim().is_empty()
    }
}

/// One item of a stage's checklist.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChecklistItem {
    pub key: String,
    pub zh: String,
    pub en: String,
}

impl ChecklistItem {
    pub fn label(&self, zh: bool) -> &str {
        if zh {
            &self.zh
        } else {
            &self.en
        }
    }
}

/// What a stage takes and what leaving it forward needs.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Gate {
    /// Expected days in the stage (none: no warning).
    #[serde(default)]
    pub duration_days: Option<u32>,
    #[serde(default)]
    pub key_activities: Vec<Texts>,
    /// The verifiable customer commitment that ends the stage.
    #[serde(default)]
    pub milestone: Texts,
    /// The step of the customer's buying process the stage serves.
    #[serde(default)]
    pub buying_step: Texts,
    /// Fields that must hold a value before the deal moves on.
    #[serde(default)]
    pub required_fields: Vec<String>,
    #[serde(default)]
    pub checklist: Vec<ChecklistItem>,
    /// Stage keys of other sets that map onto this stage when a deal changes business type.
    #[serde(default)]
    pub maps_from: Vec<String>,
}

/// The longest expected duration, in days.
pub const MAX_DURATION_DAYS: u32 = 3650;
/// The most checklist items and key activities of a stage.
pub const MAX_ITEMS: usize = 20;

impl Gate {
    pub fn is_empty(&self) -> bool {
        self == &Gate::default()
    }

    /// Problems as (field, code), fields prefixed with `prefix` (`stages[2].`).
    pub fn check(&self, prefix: &str, problems: &mut Vec<(String, &'static str)>) {
        if self
            .duration_days
            .is_some_and(|d| d == 0 || d > MAX_DURATION_DAYS)
        {
            problems.push((format!("{prefix}duration_days"), "duration_out_of_range"));
        }
        if self.checklist.len() > MAX_ITEMS {
            problems.push((format!("{prefix}checklist"), "too_many_items"));
        }
        if self.key_activities.len() > MAX_ITEMS {
            problems.push((format!("{prefix}key_activities"), "too_many_items"));
        }
        for (i, item) in self.checklist.iter().enumerate() {
            let key_ok = !item.key.is_empty()
                && item.key.len() <= 40
                && item
                    .key
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-');
            if !key_ok {
                problems.push((format!("{prefix}checklist[{i}].key"), "invalid_key"));
            } else if self.checklist[..i].iter().any(|o| o.key == item.key) {
                problems.push((format!("{prefix}checklist[{i}].key"), "duplicate_name"));
            }
            if item.zh.trim().is_empty() || item.en.trim().is_empty() {
                problems.push((format!("{prefix}checklist[{i}]"), "required"));
            }
        }
        for (i, a) in self.key_activities.iter().enumerate() {
            if a.is_empty() {
                problems.push((format!("{prefix}key_activities[{i}]"), "required"));
            }
        }
    }
}

/// A checklist item's key from its English text: lower-case letters and digits joined by
/// `_` (what the admin page gives items typed as lines).
pub fn item_key(en: &str) -> String {
    let mut key = String::new();
    for c in en.trim().chars() {
        if c.is_ascii_alphanumeric() {
            key.push(c.to_ascii_lowercase());
        } else if !key.ends_with('_') && !key.is_empty() {
            key.push('_');
        }
        if key.len() >= 40 {
            break;
        }
    }
    key.trim_end_matches('_').to_string()
}

fn position(set: &StageSet, key: &str) -> Option<usize> {
    set.stages.iter().position(|s| s.key == key)
}

/// Whether moving from `from` to `to` within `set` goes forward: out of an open stage to a
/// later one that is not a lost stage (giving a deal up never needs the gate).
pub fn is_forward(set: &StageSet, from: &str, to: &str) -> bool {
    let (Some(a), Some(b)) = (position(set, from), position(set, to)) else {
        return false;
    };
    let open = set.stages[a].closed.is_none();
    let lost = set.stages[b].closed == Some(Closed::Lost);
    open && !lost && b > a
}

/// What a stage's gate still lacks.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Unmet {
    /// Required fields without a value.
    pub fields: Vec<String>,
    /// Checklist items not ticked.
    pub items: Vec<ChecklistItem>,
}

impl Unmet {
    pub fn is_empty(&self) -> bool {
        self.fields.is_empty() && self.items.is_empty()
    }
}

/// The unmet items of `stage`'s gate: `has_value` says whether a field holds a value,
/// `checked` are the ticked item keys.
pub fn unmet(stage: &Stage, has_value: impl Fn(&str) -> bool, checked: &[String]) -> Unmet {
    Unmet {
        fields: stage
            .gate
            .required_fields
            .iter()
            .filter(|f| !has_value(f))
            .cloned()
            .collect(),
        items: stage
            .gate
            .checklist
            .iter()
            .filter(|i| !checked.contains(&i.key))
            .cloned()
            .collect(),
    }
}

/// The stage of `new_set` a deal at `old` (of `old_set`) takes when its business type
/// changes: the same key if the new set has it, else the stage that declares it in
/// `maps_from`, else the stage of the same kind (open, won, lost) with the nearest win rate
/// (the earlier one on a tie).
pub fn map_stage(old_set: Option<&StageSet>, old: &str, new_set: &StageSet) -> Option<String> {
    if new_set.stage(old).is_some() {
        return Some(old.into());
    }
    if let Some(s) = new_set
        .stages
        .iter()
        .find(|s| s.gate.maps_from.iter().any(|k| k == old))
    {
        return Some(s.key.clone());
    }
    let from = old_set.and_then(|s| s.stage(old));
    let closed = from.and_then(|s| s.closed);
    let rate = from.map(|s| s.win_rate).unwrap_or(0);
    new_set
        .stages
        .iter()
        .filter(|s| s.closed == closed)
        .min_by_key(|s| s.win_rate.abs_diff(rate))
        .or(new_set.stages.first())
        .map(|s| s.key.clone())
}

/// A warning about the time spent in a stage.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Warning {
    DueSoon = 1,
    Overdue = 2,
}

impl Warning {
    pub fn key(self) -> &'static str {
        match self {
            Warning::DueSoon => "due_soon",
            Warning::Overdue => "overdue",
        }
    }

    pub fn level(self) -> i64 {
        self as i64
    }
}

/// When a stage entered at `entered` with an expected `days` is due, and when it is due
/// soon: the last fifth of the duration, at least one day before.
pub fn due_times(entered: DateTime<Utc>, days: u32) -> (DateTime<Utc>, DateTime<Utc>) {
    let due = entered + Duration::days(i64::from(days));
    let lead = Duration::hours((i64::from(days) * 24 / 5).max(24));
    (due - lead, due)
}

/// The warning a stage entered at `entered` with an expected `days` has at `now`.
pub fn warning(entered: DateTime<Utc>, days: Option<u32>, now: DateTime<Utc>) -> Option<Warning> {
    let (soon, due) = due_times(entered, days?);
    if now >= due {
        Some(Warning::Overdue)
    } else if now >= soon {
        Some(Warning::DueSoon)
    } else {
        None
    }
}

/// The weighted amount: the amount at the win rate (percent), in the same units.
pub fn weighted(amount_minor: i64, win_rate: u32) -> i64 {
    let v = i128::from(amount_minor) * i128::from(win_rate) / 100;
    i64::try_from(v).unwrap_or(i64::MAX)
}

/// A template of a business type a company installs.
pub struct Template {
    pub key: &'static str,
    pub set: StageSet,
}

struct StageDef {
    key: &'static str,
    zh: &'static str,
    en: &'static str,
    rate: u32,
    days: Option<u32>,
    step: (&'static str, &'static str),
    milestone: (&'static str, &'static str),
    activities: &'static [(&'static str, &'static str)],
    required: &'static [&'static str],
    checklist: &'static [(&'static str, &'static str, &'static str)],
}

fn build(key: &str, zh: &str, en: &str, defs: &[StageDef]) -> StageSet {
    StageSet {
        key: key.into(),
        name_zh: zh.into(),
        name_en: en.into(),
        stages: defs
            .iter()
            .map(|d| Stage {
                key: d.key.into(),
                name_zh: d.zh.into(),
                name_en: d.en.into(),
                win_rate: d.rate,
                closed: Closed::parse(d.key),
                gate: Gate {
                    duration_days: d.days,
                    key_activities: d.activities.iter().map(|(z, e)| Texts::new(z, e)).collect(),
                    milestone: Texts::new(d.milestone.0, d.milestone.1),
                    buying_step: Texts::new(d.step.0, d.step.1),
                    required_fields: d.required.iter().map(|s| (*s).into()).collect(),
                    checklist: d
                        .checklist
                        .iter()
                        .map(|(k, z, e)| ChecklistItem {
                            key: (*k).into(),
                            zh: (*z).into(),
                            en: (*e).into(),
                        })
                        .collect(),
                    maps_from: Vec::new(),
                },
            })
            .collect(),
    }
}

const fn closing(key: &'static str, zh: &'static str, en: &'static str, rate: u32) -> StageDef {
    StageDef {
        key,
        zh,
        en,
        rate,
        days: None,
        step: ("", ""),
        milestone: ("", ""),
        activities: &[],
        required: &[],
        checklist: &[],
    }
}

/// The product sale "1-3-5-7-10": five stages by win rate, and lost.
fn product_sale() -> StageSet {
    build(
        "product_sale",
        "产品销售（1-3-5-7-10）",
        "Product sale (1-3-5-7-10)",
        &[
            StageDef {
                key: "initial",
                zh: "初步接洽",
                en: "Initial contact",
                rate: 10,
                days: Some(14),
                step: ("认识需求", "Recognise the need"),
                milestone: (
                    "客户同意进一步沟通需求",
                    "The customer agrees to discuss needs",
                ),
                activities: &[
                    ("首次拜访或电话", "First visit or call"),
                    ("了解客户背景", "Learn the customer's background"),
                ],
                required: &["contact_id"],
                checklist: &[(
                    "contact_reached",
                    "已联系到关键联系人",
                    "Key contact reached",
                )],
            },
            StageDef {
                key: "needs",
                zh: "需求确认",
                en: "Needs confirmed",
                rate: 30,
                days: Some(21),
                step: ("确定需求", "Define requirements"),
                milestone: (
                    "客户确认需求与预算",
                    "The customer confirms needs and budget",
                ),
                activities: &[
                    ("需求调研", "Needs analysis"),
                    ("确认预算与时间", "Confirm budget and timing"),
                ],
                required: &["amount", "expected_close"],
                checklist: &[
                    ("budget_confirmed", "预算已确认", "Budget confirmed"),
                    ("decision_maker_known", "已知决策人", "Decision maker known"),
                ],
            },
            StageDef {
                key: "proposal",
                zh: "方案/验证",
                en: "Proposal / validation",
                rate: 50,
                days: Some(21),
                step: ("评估方案", "Evaluate options"),
                milestone: (
                    "客户认可方案或验证通过",
                    "The customer accepts the proposal or the trial passes",
                ),
                activities: &[
                    ("提交方案", "Send the proposal"),
                    ("演示或试用", "Demo or trial"),
                ],
                required: &[],
                checklist: &[("proposal_sent", "方案已提交", "Proposal sent")],
            },
            StageDef {
                key: "negotiation",
                zh: "报价/谈判",
                en: "Quote / negotiation",
                rate: 70,
                days: Some(14),
                step: ("商务谈判", "Negotiate terms"),
                milestone: ("双方确认合同条款", "Both sides agree the contract terms"),
                activities: &[("报价", "Quote"), ("商务谈判", "Negotiate")],
                required: &[],
                checklist: &[("quote_accepted", "报价已被接受", "Quote accepted")],
            },
            closing("won", "成交", "Won", 100),
            closing("lost", "输单", "Lost", 0),
        ],
    )
}

/// A solution sale on the customer's buying process: nine stages, each ending at a
/// commitment of the customer, and lost.
fn solution_sale() -> StageSet {
    build(
        "solution_sale",
        "解决方案销售（9 阶段）",
        "Solution sale (9 stages)",
        &[
            StageDef {
                key: "qualify",
                zh: "线索确认",
                en: "Qualify",
                rate: 5,
                days: Some(14),
                step: ("发现问题", "Recognise a problem"),
                milestone: (
                    "客户承认存在需要解决的问题",
                    "The customer admits a problem worth solving",
                ),
                activities: &[
                    ("首次接触", "First contact"),
                    ("判断客户特征", "Check the customer profile"),
                ],
                required: &["contact_id"],
                checklist: &[(
                    "profile_fits",
                    "符合主流客户特征",
                    "Fits the target customer profile",
                )],
            },
            StageDef {
                key: "discover",
                zh: "需求调研",
                en: "Discover",
                rate: 10,
                days: Some(21),
                step: ("内部立项", "Start an internal project"),
                milestone: ("客户同意立项调研", "The customer agrees to a discovery"),
                activities: &[
                    ("需求调研", "Discovery interviews"),
                    ("绘制决策链", "Map the decision chain"),
                ],
                required: &[],
                checklist: &[
                    ("coach_found", "已找到教练", "A coach is found"),
                    ("pain_documented", "痛点已记录", "Pains documented"),
                ],
            },
            StageDef {
                key: "sponsor",
                zh: "获得支持",
                en: "Win a sponsor",
                rate: 20,
                days: Some(21),
                step: ("确定需求与标准", "Define requirements and criteria"),
                milestone: (
                    "决策者确认需求与评估标准",
                    "The decision maker confirms needs and criteria",
                ),
                activities: &[
                    ("拜访决策者", "Meet the decision maker"),
                    ("影响评估标准", "Shape the criteria"),
                ],
                required: &["amount"],
                checklist: &[(
                    "economic_buyer_met",
                    "已见到投资者/决策者",
                    "Economic buyer met",
                )],
            },
            StageDef {
                key: "design",
                zh: "方案设计",
                en: "Design the solution",
                rate: 30,
                days: Some(21),
                step: ("寻找方案", "Look for solutions"),
                milestone: (
                    "客户认可方案方向",
                    "The customer accepts the solution's direction",
                ),
                activities: &[
                    ("方案设计", "Design the solution"),
                    ("技术交流", "Technical workshop"),
                ],
                required: &[],
                checklist: &[(
                    "solution_reviewed",
                    "方案已与客户评审",
                    "Solution reviewed with the customer",
                )],
            },
            StageDef {
                key: "validate",
                zh: "验证",
                en: "Validate",
                rate: 40,
                days: Some(30),
                step: ("评估方案", "Evaluate solutions"),
                milestone: (
                    "验证或样板参观通过",
                    "The proof of concept or reference visit passes",
                ),
                activities: &[
                    ("试用或测试", "Proof of concept"),
                    ("样板客户参观", "Reference visit"),
                ],
                required: &[],
                checklist: &[("poc_passed", "验证通过", "Proof of concept passed")],
            },
            StageDef {
                key: "propose",
                zh: "方案呈现",
                en: "Propose",
                rate: 50,
                days: Some(14),
                step: ("选择供应商", "Shortlist suppliers"),
                milestone: ("进入最终候选名单", "On the customer's shortlist"),
                activities: &[
                    ("正式方案与报价", "Formal proposal and quote"),
                    ("高层拜访", "Executive meeting"),
                ],
                required: &["expected_close"],
                checklist: &[("shortlisted", "已入围", "Shortlisted")],
            },
            StageDef {
                key: "negotiate",
                zh: "商务谈判",
                en: "Negotiate",
                rate: 70,
                days: Some(14),
                step: ("商务谈判", "Negotiate"),
                milestone: ("双方确认合同条款", "Both sides agree the terms"),
                activities: &[("商务谈判", "Negotiate"), ("合同评审", "Contract review")],
                required: &[],
                checklist: &[("terms_agreed", "条款已确认", "Terms agreed")],
            },
            StageDef {
                key: "commit",
                zh: "签约",
                en: "Commit",
                rate: 90,
                days: Some(14),
                step: ("决策与签约", "Decide and sign"),
                milestone: ("合同已签署", "The contract is signed"),
                activities: &[
                    ("签署合同", "Sign the contract"),
                    ("交付启动", "Kick off delivery"),
                ],
                required: &[],
                checklist: &[("contract_signed", "合同已签署", "Contract signed")],
            },
            closing("won", "赢单", "Won", 100),
            closing("lost", "输单", "Lost", 0),
        ],
    )
}

/// The templates a company may install.
pub fn templates() -> Vec<Template> {
    vec![
        Template {
            key: "product_sale",
            set: product_sale(),
        },
        Template {
            key: "solution_sale",
            set: solution_sale(),
        },
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn templates_are_valid_sets() {
        for t in templates() {
            assert!(t.set.check().is_empty(), "{}: {:?}", t.key, t.set.check());
            assert!(t.set.stages.len() <= crate::picklists::MAX_STAGES);
        }
        let rates: Vec<u32> = product_sale().stages.iter().map(|s| s.win_rate).collect();
        assert_eq!(rates, [10, 30, 50, 70, 100, 0]);
        assert_eq!(
            solution_sale()
                .stages
                .iter()
                .filter(|s| s.closed != Some(Closed::Lost))
                .count(),
            9
        );
    }

    #[test]
    fn forward_moves_leave_an_open_stage_for_a_later_one_but_not_lost() {
        let set = product_sale();
        assert!(is_forward(&set, "initial", "needs"));
        assert!(is_forward(&set, "initial", "won"));
        assert!(!is_forward(&set, "needs", "initial"));
        assert!(!is_forward(&set, "needs", "lost"));
        assert!(!is_forward(&set, "won", "lost"));
        assert!(!is_forward(&set, "needs", "elsewhere"));
    }

    #[test]
    fn unmet_lists_empty_fields_and_unticked_items() {
        let set = product_sale();
        let needs = set.stage("needs").expect("needs");
        let u = unmet(needs, |f| f == "amount", &["budget_confirmed".into()]);
        assert_eq!(u.fields, ["expected_close"]);
        assert_eq!(u.items.len(), 1);
        assert_eq!(u.items[0].key, "decision_maker_known");
        let u = unmet(
            needs,
            |_| true,
            &["budget_confirmed".into(), "decision_maker_known".into()],
        );
        assert!(u.is_empty());
    }

    #[test]
    fn stages_map_by_key_declaration_then_win_rate() {
        let product = product_sale();
        let mut solution = solution_sale();
        assert_eq!(
            map_stage(Some(&product), "won", &solution).as_deref(),
            Some("won")
        );
        // needs (30%) → design (30%).
        assert_eq!(
            map_stage(Some(&product), "needs", &solution).as_deref(),
            Some("design")
        );
        // proposal (50%) → propose (50%), unless another stage declares it.
        assert_eq!(
            map_stage(Some(&product), "proposal", &solution).as_deref(),
            Some("propose")
        );
        solution.stages[4].gate.maps_from = vec!["proposal".into()];
        assert_eq!(
            map_stage(Some(&product), "proposal", &solution).as_deref(),
            Some("validate")
        );
        assert_eq!(
            map_stage(None, "gone", &solution).as_deref(),
            Some("qualify")
        );
    }

    #[test]
    fn warnings_follow_the_expected_duration() {
        let t0 = DateTime::parse_from_rfc3339("2026-01-01T00:00:00Z")
            .expect("time")
            .with_timezone(&Utc);
        assert_eq!(warning(t0, None, t0 + Duration::days(400)), None);
        assert_eq!(warning(t0, Some(10), t0 + Duration::days(7)), None);
        assert_eq!(
            warning(t0, Some(10), t0 + Duration::days(8)),
            Some(Warning::DueSoon)
        );
        assert_eq!(
            warning(t0, Some(10), t0 + Duration::days(10)),
            Some(Warning::Overdue)
        );
        // At least a day's notice.
        assert_eq!(warning(t0, Some(2), t0 + Duration::hours(23)), None);
        assert_eq!(
            warning(t0, Some(2), t0 + Duration::hours(25)),
            Some(Warning::DueSoon)
        );
    }

    #[test]
    fn keys_of_typed_items() {
        assert_eq!(item_key(" Budget confirmed! "), "budget_confirmed");
        assert_eq!(weighted(10_000, 30), 3_000);
    }
}
