//! The business-record objects as metadata: which table holds each one, and its standard
//! fields as [`FieldDef`]s. Forms, record pages, list columns, filters, sorting, the API and
//! field history are all driven from these definitions, so that contacts, leads,
//! opportunities and activities share one code path, and a custom field (a `FieldDef` stored
//! per company) behaves exactly like a standard one.

use crate::duplicates::{DuplicateKey, KeyKind};
use crate::fields::{FieldDef, FieldType, PicklistOption};
use crate::permissions::ObjectKind;
use crate::rules::Rule;
use rust_decimal::Decimal;

/// One business-record object.
#[derive(Debug, Clone)]
pub struct ObjectSpec {
    pub kind: ObjectKind,
    /// Table name, also the URL segment (`/contacts`, `/api/v1/contacts`).
    pub plural: &'static str,
    pub label_zh: &'static str,
    pub label_en: &'static str,
    /// Standard fields in form order. `owner_id`, `created_at` and `updated_at` included.
    pub fields: Vec<FieldDef>,
    /// Columns shown by the "all records" view.
    pub default_columns: &'static [&'static str],
    /// Fields that matter only for some values of another field (an activity's times and
    /// place by its kind); forms show them only then.
    pub shown_when: &'static [ShownWhen],
    /// The field whose change is a stage change (an opportunity's `stage`): the change feed
    /// reports it as `stage_changed`.
    pub stage_field: Option<&'static str>,
    /// The picklist holding the record's currency (an opportunity's `currency`): its money
    /// fields, standard and custom, are in that currency. Without one, in the company's.
    pub currency_field: Option<&'static str>,
    /// Kinds of child rows the record owns (an opportunity's product lines), written with it
    /// and read through it (see [`crate::children`]).
    pub children: Vec<crate::children::ChildSpec>,
    /// A lookup of the object to itself that forms a tree (an account's parent): the engine
    /// refuses cycles and trees deeper than `max_depth`, and a delete while children remain.
    pub tree: Option<Tree>,
    /// Whether the record's own field changes appear in its 360° stream (accounts).
    pub own_changes_in_stream: bool,
    /// The field shown under a record's name where a lookup suggests it (an account's city).
    pub lookup_detail: Option<&'static str>,
    /// The rules its records follow around every save (see [`crate::rules`]).
    pub rules: &'static [crate::rules::Rule],
    /// The fields by which its records are matched as duplicates, and of what kind (see
    /// [`crate::duplicates`]).
    pub duplicate_keys: &'static [crate::duplicates::DuplicateKey],
    /// How its records are converted into an account, a contact and an opportunity, or
    /// disqualified (leads; see [`crate::conversion`]).
    pub conversion: Option<&'static crate::conversion::Conversion>,
    /// Records archived out of the working views by a status (an opportunity won, lost or
    /// terminated): lists show the others unless asked for them.
    pub archive: Option<Archive>,
}

/// Which records of an object are archived: those whose picklist `field` holds one of
/// `archived` rather than of `working`. A list filtering on `field` or on one of
/// `named_by` (an opportunity's stage) shows what its filter names, archived or not.
#[derive(Debug, Clone, Copy)]
pub struct Archive {
    pub field: &'static str,
    pub working: &'static [&'static str],
    pub archived: &'static [&'static str],
    pub named_by: &'static [&'static str],
}

/// A self-referencing lookup forming a tree of at most `max_depth` levels.
#[derive(Debug, Clone, Copy)]
pub struct Tree {
    pub field: &'static str,
    pub max_depth: usize,
    /// The rule error of a delete while records still have this one above them.
    pub has_children: &'static str,
}

impl Tree {
    /// The field error of making `id` a child of the record whose chain of ancestors
    /// (nearest first, at most `max_depth + 1` long) is `above_parent`, with `parent` itself
    /// first: a cycle, or a tree deeper than allowed.
    pub fn check(
        &self,
        id: uuid::Uuid,
        parent: uuid::Uuid,
        above_parent: &[uuid::Uuid],
    ) -> Option<&'static str> {
        if parent == id {
            Some("invalid_reference")
        } else if above_parent.contains(&id) {
            Some("cycle")
        } else if above_parent.len() + 2 > self.max_depth {
            Some("too_deep")
        } else {
            None
        }
    }
}

/// `field` is relevant only while the picklist `on` holds one of `values`.
#[derive(Debug, Clone, Copy)]
pub struct ShownWhen {
    pub field: &'static str,
    pub on: &'static str,
    pub values: &'static [&'static str],
}

impl ObjectSpec {
    pub fn field(&self, key: &str) -> Option<&FieldDef> {
        self.fields.iter().find(|f| f.key == key)
    }

    /// The condition under which a field is relevant, if it is not always.
    pub fn shown_when(&self, key: &str) -> Option<&ShownWhen> {
        self.shown_when.iter().find(|w| w.field == key)
    }

    /// The fields the quick and global search find records by.
    pub fn search_fields(&self) -> impl Iterator<Item = &FieldDef> {
        self.fields.iter().filter(|f| f.searchable)
    }

    /// The decimal places of a money field's amounts on a record whose currency field holds
    /// `record_currency` (see [`crate::money`]).
    pub fn money_exponent(&self, field: &FieldDef, record_currency: Option<&str>) -> u32 {
        match (self.currency_field, record_currency) {
            (Some(_), Some(code)) => crate::money::exponent(code),
            _ => field.money_exponent.unwrap_or(2),
        }
    }

    /// The kind of child rows of this key (`lines`).
    pub fn child(&self, key: &str) -> Option<&crate::children::ChildSpec> {
        self.children.iter().find(|c| c.key == key)
    }

    pub fn label(&self, zh: bool) -> &'static str {
        if zh {
            self.label_zh
        } else {
            self.label_en
        }
    }
}

/// The objects of the record engine, in menu order: every page, API route and use case of a
/// business record is the engine's, driven by the object's spec.
pub const GENERIC: [ObjectKind; 5] = [
    ObjectKind::Account,
    ObjectKind::Contact,
    ObjectKind::Lead,
    ObjectKind::Opportunity,
    ObjectKind::Activity,
];

/// The spec of a record object (`None` for `Org`).
pub fn spec(kind: ObjectKind) -> Option<&'static ObjectSpec> {
    use std::sync::OnceLock;
    static SPECS: OnceLock<Vec<ObjectSpec>> = OnceLock::new();
    let specs = SPECS.get_or_init(|| {
        vec![
            account_spec(),
            contact_spec(),
            leads::lead_spec(),
            opportunity_spec(),
            activity_spec(),
        ]
    });
    specs.iter().find(|s| s.kind == kind)
}

/// The standard lookup fields that point at records of `target`, with the object that has
/// each: what refers to a record of `target` (beside custom lookups, which are per company).
/// Derived from the specs, so a new lookup protects what it points at without a list to keep.
pub fn lookups_to(target: ObjectKind) -> Vec<(&'static ObjectSpec, &'static FieldDef)> {
    ObjectKind::RECORDS
        .into_iter()
        .filter_map(spec)
        .flat_map(|s| s.fields.iter().map(move |f| (s, f)))
        .filter(|(_, f)| f.points_at(target))
        .collect()
}

/// The objects that declare a conversion (leads), whose records are converted and
/// disqualified (see [`crate::conversion`]).
pub fn converting() -> impl Iterator<Item = &'static ObjectSpec> {
    GENERIC
        .into_iter()
        .filter_map(spec)
        .filter(|s| s.conversion.is_some())
}

/// The spec whose table (URL segment) is `plural`.
pub fn spec_by_plural(plural: &str) -> Option<&'static ObjectSpec> {
    ObjectKind::RECORDS
        .into_iter()
        .filter_map(spec)
        .find(|s| s.plural == plural)
}

/// A duplicate key of the object (see [`crate::duplicates`]).
const fn key(field: &'static str, kind: KeyKind) -> DuplicateKey {
    DuplicateKey { field, kind }
}

/// Builder for standard field definitions.
struct F(FieldDef);

fn f(key: &str, zh: &str, en: &str, field_type: FieldType) -> F {
    F(FieldDef {
        key: key.into(),
        label_zh: zh.into(),
        label_en: en.into(),
        field_type,
        required: false,
        max_length: None,
        min: None,
        max: None,
        pattern: None,
        default_value: None,
        help_zh: None,
        help_en: None,
        options: Vec::new(),
        lookup_object: None,
        column: Some(key.into()),
        system: false,
        indexed: false,
        searchable: false,
        money_exponent: None,
        computed: None,
        position: 0,
    })
}

impl F {
    fn required(mut self) -> Self {
        self.0.required = true;
        self
    }
    fn max(mut self, n: u32) -> Self {
        self.0.max_length = Some(n);
        self
    }
    fn range(mut self, min: i64, max: i64) -> Self {
        self.0.min = Some(Decimal::from(min));
        self.0.max = Some(Decimal::from(max));
        self
    }
    fn default(mut self, v: &str) -> Self {
        self.0.default_value = Some(v.into());
        self
    }
    fn options(mut self, options: &[(&str, &str, &str)]) -> Self {
        self.0.options = options
            .iter()
            .map(|(key, zh, en)| PicklistOption {
                key: (*key).into(),
                label_zh: (*zh).into(),
                label_en: (*en).into(),
                active: true,
            })
            .collect();
        self
    }
    fn lookup(mut self, object: ObjectKind) -> Self {
        self.0.lookup_object = Some(object.key().into());
        self
    }
    fn column(mut self, column: &str) -> Self {
        self.0.column = Some(column.into());
        self
    }
    /// Set by the system, never by a form or an API body.
    fn system(mut self) -> Self {
        self.0.system = true;
        self
    }
    /// Backed by an index: offered as a sort and a fast filter.
    fn indexed(mut self) -> Self {
        self.0.indexed = true;
        self
    }
    /// Computed by the engine on every write (and so set by the system only).
    fn computed(mut self, rule: crate::children::Computed) -> Self {
        self.0.computed = Some(rule);
        self.0.system = true;
        self
    }
    /// A hint shown under the field on forms.
    fn help(mut self, zh: &str, en: &str) -> Self {
        self.0.help_zh = Some(zh.into());
        self.0.help_en = Some(en.into());
        self
    }
    /// Found by the quick and global search.
    fn searchable(mut self) -> Self {
        self.0.searchable = true;
        self
    }
}

fn finish(fields: Vec<F>) -> Vec<FieldDef> {
    fields
        .into_iter()
        .enumerate()
        .map(|(i, F(mut def))| {
            def.position = i as i32;
            def
        })
        .collect()
}

/// The owner and the two timestamps every record has.
fn common() -> Vec<F> {
    vec![
        f("owner_id", "负责人", "Owner", FieldType::User)
            .required()
            .indexed(),
        f("created_at", "创建时间", "Created", FieldType::DateTime)
            .system()
            .indexed(),
        f("updated_at", "更新时间", "Updated", FieldType::DateTime)
            .system()
            .indexed(),
    ]
}

pub const SOURCES: &[(&str, &str, &str)] = &[
    ("web", "官网", "Website"),
    ("phone", "电话咨询", "Phone"),
    ("email", "邮件", "E-mail"),
    ("visit", "上门拜访", "Visit"),
    ("event", "会议/展会", "Event"),
    ("referral", "客户转介绍", "Referral"),
    ("advertising", "广告投放", "Advertising"),
    ("import", "导入", "Import"),
    ("api", "API", "API"),
    ("other", "其他", "Other"),
];

/// The provinces as a picklist's options (code, Chinese, English): accounts and leads.
fn province_options() -> Vec<(&'static str, &'static str, &'static str)> {
    crate::regions::PROVINCES
        .iter()
        .map(|p| (p.code, p.name_zh, p.name_en))
        .collect()
}

fn account_spec() -> ObjectSpec {
    let provinces = province_options();
    let mut fields = vec![
        f("name", "客户名称", "Name", FieldType::Text)
            .required()
            .max(200)
            .indexed()
            .searchable(),
        f("account_type", "客户类型", "Type", FieldType::Picklist)
            .required()
            .default("customer")
            .indexed()
            .options(&[
                ("customer", "客户", "Customer"),
                ("partner", "合作伙伴/代理商", "Partner / agent"),
                ("competitor", "竞争对手", "Competitor"),
                ("supplier", "供应商", "Supplier"),
                ("other", "其他", "Other"),
            ]),
        f("grade", "客户等级", "Grade", FieldType::Picklist)
            .indexed()
            .options(&[
                ("A", "A 重点", "A – key"),
                ("B", "B 重要", "B – important"),
                ("C", "C 普通", "C – regular"),
                ("D", "D 一般", "D – low"),
            ]),
        f("industry", "行业", "Industry", FieldType::Text)
            .max(100)
            .indexed(),
        f("province", "省份", "Province", FieldType::Picklist)
            .indexed()
            .options(&provinces),
        f("city", "城市", "City", FieldType::Text).max(50).indexed(),
        f("phone", "电话", "Phone", FieldType::Phone)
            .indexed()
            .searchable(),
        f("website", "网址", "Website", FieldType::Url),
        f(
            "credit_code",
            "统一社会信用代码",
            "Unified social credit code",
            FieldType::CreditCode,
        )
        .indexed(),
        f("address", "地址", "Address", FieldType::Text).max(500),
        f("parent_id", "上级客户", "Parent account", FieldType::Lookup)
            .lookup(ObjectKind::Account)
            .indexed(),
        // Filtered by tag through `record_tags`; not a sort.
        f("tags", "标签", "Tags", FieldType::Tags).help(
            "用逗号分隔，如：VIP，重点客户",
            "Comma-separated, e.g. VIP, key account",
        ),
        f("description", "描述", "Description", FieldType::LongText).max(5000),
        f(
            "last_contacted_at",
            "最近联系",
            "Last contacted",
            FieldType::DateTime,
        )
        .system()
        .indexed(),
        f("last_deal_at", "最近成交", "Last deal", FieldType::Date)
            .system()
            .indexed(),
    ];
    fields.extend(common());
    ObjectSpec {
        kind: ObjectKind::Account,
        plural: "accounts",
        label_zh: "客户",
        label_en: "Accounts",
        fields: finish(fields),
        default_columns: &[
            "name",
            "account_type",
            "grade",
            "province",
            "owner_id",
            "updated_at",
        ],
        shown_when: &[],
        stage_field: None,
        currency_field: None,
        tree: Some(Tree {
            field: "parent_id",
            max_depth: 4,
            has_children: "account_has_children",
        }),
        own_changes_in_stream: true,
        lookup_detail: Some("city"),
        rules: &[],
        children: Vec::new(),
        duplicate_keys: const {
            &[
                key("name", KeyKind::CompanyName),
                key("credit_code", KeyKind::CreditCode),
                key("phone", KeyKind::Phone),
            ]
        },
        conversion: None,
        archive: None,
    }
}

pub const CUSTOMER_ROLES: &[(&str, &str, &str)] = &[
    ("decision_maker", "决策者", "Decision maker"),
    ("influencer", "影响者", "Influencer"),
    ("evaluator", "评估者", "Evaluator"),
    ("user", "使用者", "User"),
    ("gatekeeper", "采购/把关者", "Gatekeeper"),
    ("champion", "支持者/教练", "Champion / coach"),
    ("other", "其他", "Other"),
];

fn contact_spec() -> ObjectSpec {
    let mut fields = vec![
        f("name", "姓名", "Name", FieldType::Text)
            .required()
            .max(100)
            .indexed()
            .searchable(),
        f("account_id", "所属客户", "Account", FieldType::Lookup)
            .lookup(ObjectKind::Account)
            .indexed(),
        f("title", "职务", "Title", FieldType::Text).max(100),
        f("department", "部门", "Department", FieldType::Text).max(100),
        f(
            "customer_role",
            "决策角色",
            "Role in the deal",
            FieldType::Picklist,
        )
        .indexed()
        .options(CUSTOMER_ROLES),
        f("mobile", "手机", "Mobile", FieldType::Phone)
            .indexed()
            .searchable(),
        f("phone", "电话", "Phone", FieldType::Phone).searchable(),
        f("email", "邮箱", "E-mail", FieldType::Email)
            .indexed()
            .searchable(),
        f("wechat", "微信号", "WeChat ID", FieldType::Text).max(64),
        f("reports_to_id", "汇报对象", "Reports to", FieldType::Lookup)
            .lookup(ObjectKind::Contact)
            .indexed(),
        f("birthday", "生日", "Birthday", FieldType::Date),
        f("notes", "备注", "Notes", FieldType::LongText).max(5000),
        f(
            "last_contacted_at",
            "最近联系",
            "Last contacted",
            FieldType::DateTime,
        )
        .system()
        .indexed(),
    ];
    fields.push(record_type());
    fields.extend(common());
    ObjectSpec {
        kind: ObjectKind::Contact,
        plural: "contacts",
        label_zh: "联系人",
        label_en: "Contacts",
        fields: finish(fields),
        default_columns: &["name", "account_id", "title", "mobile", "owner_id"],
        shown_when: &[],
        stage_field: None,
        currency_field: None,
        tree: None,
        own_changes_in_stream: false,
        lookup_detail: Some("account_id"),
        rules: &[Rule::NotItsOwn("reports_to_id"), Rule::AccountStream],
        children: Vec::new(),
        duplicate_keys: const {
            &[
                key("mobile", KeyKind::Phone),
                key("phone", KeyKind::Phone),
                key("email", KeyKind::Email),
            ]
        },
        conversion: None,
        archive: None,
    }
}

/// The stage set every company starts with (`picklists::StageSet::standard`): key, labels,
/// win rate in percent; `won` and `lost` close the deal. Stages are data per company.
pub const STAGES: &[(&str, &str, &str, u32)] = &[
    ("initial", "初步接洽", "Initial contact", 10),
    ("needs", "需求确认", "Needs confirmed", 30),
    ("proposal", "方案", "Proposal", 50),
    ("negotiation", "报价/谈判", "Quote / negotiation", 70),
    ("won", "赢单", "Won", 100),
    ("lost", "输单", "Lost", 0),
];

/// The record's type (业务类型): its choices are the company's record types of the object,
/// set on the field when the fields are loaded (`app::picklists`); none is the default type.
fn record_type() -> F {
    f(
        "record_type",
        "业务类型",
        "Record type",
        FieldType::Picklist,
    )
    .indexed()
}

/// Which activity fields each kind uses: a call, visit or meeting happens at a time (and a
/// visit or meeting somewhere, for a while); a task is due; a note is only text.
const ACTIVITY_FIELDS_BY_KIND: &[ShownWhen] = &[
    ShownWhen {
        field: "starts_at",
        on: "kind",
        values: &["call", "visit", "meeting"],
    },
    ShownWhen {
        field: "ends_at",
        on: "kind",
        values: &["visit", "meeting"],
    },
    ShownWhen {
        field: "location",
        on: "kind",
        values: &["visit", "meeting"],
    },
    ShownWhen {
        field: "due_at",
        on: "kind",
        values: &["task"],
    },
    ShownWhen {
        field: "remind_at",
        on: "kind",
        values: &["task", "visit", "meeting"],
    },
    ShownWhen {
        field: "status",
        on: "kind",
        values: &["call", "visit", "meeting", "task"],
    },
];

pub const ACTIVITY_KINDS: &[(&str, &str, &str)] = &[
    ("note", "笔记", "Note"),
    ("call", "电话", "Call"),
    ("visit", "拜访", "Visit"),
    ("meeting", "会议", "Meeting"),
    ("task", "任务", "Task"),
];

fn activity_spec() -> ObjectSpec {
    let mut fields = vec![
        f("kind", "类型", "Type", FieldType::Picklist)
            .required()
            .default("note")
            .indexed()
            .options(ACTIVITY_KINDS),
        f("name", "主题", "Subject", FieldType::Text)
            .required()
            .max(200)
            .indexed()
            .searchable(),
        f("body", "内容", "Details", FieldType::LongText).max(10_000),
        f("account_id", "客户", "Account", FieldType::Lookup)
            .lookup(ObjectKind::Account)
            .indexed(),
        f("contact_id", "联系人", "Contact", FieldType::Lookup)
            .lookup(ObjectKind::Contact)
            .indexed(),
        f("lead_id", "线索", "Lead", FieldType::Lookup)
            .lookup(ObjectKind::Lead)
            .indexed(),
        f("opportunity_id", "商机", "Opportunity", FieldType::Lookup)
            .lookup(ObjectKind::Opportunity)
            .indexed(),
        f("starts_at", "开始时间", "Starts", FieldType::DateTime).indexed(),
        f("ends_at", "结束时间", "Ends", FieldType::DateTime),
        f("due_at", "截止时间", "Due", FieldType::DateTime).indexed(),
        f("remind_at", "提醒时间", "Reminder", FieldType::DateTime).indexed(),
        // Not given, the activity's rule decides: a call, visit, meeting or note that has
        // happened is done, a task or a planned one is open.
        f("status", "状态", "Status", FieldType::Picklist)
            .indexed()
            .options(&[("open", "未完成", "Open"), ("done", "已完成", "Done")]),
        f("location", "地点", "Location", FieldType::Text).max(300),
        f("completed_at", "完成时间", "Completed", FieldType::DateTime).system(),
        f("checkin_at", "签到时间", "Checked in", FieldType::DateTime).system(),
        f(
            "checkin_lat",
            "签到纬度",
            "Check-in latitude",
            FieldType::Number,
        )
        .system(),
        f(
            "checkin_lng",
            "签到经度",
            "Check-in longitude",
            FieldType::Number,
        )
        .system(),
        f(
            "checkin_accuracy",
            "定位精度(米)",
            "Accuracy (m)",
            FieldType::Number,
        )
        .system(),
    ];
    fields.push(record_type());
    fields.extend(common());
    ObjectSpec {
        kind: ObjectKind::Activity,
        plural: "activities",
        label_zh: "活动",
        label_en: "Activities",
        fields: finish(fields),
        default_columns: &[
            "kind",
            "name",
            "account_id",
            "starts_at",
            "status",
            "owner_id",
        ],
        shown_when: ACTIVITY_FIELDS_BY_KIND,
        stage_field: None,
        currency_field: None,
        tree: None,
        own_changes_in_stream: false,
        lookup_detail: Some("kind"),
        rules: &[
            Rule::ActivityTiming,
            Rule::AccountStream,
            Rule::LastContacted,
            Rule::Reminders,
        ],
        children: Vec::new(),
        duplicate_keys: &[],
        conversion: None,
        archive: None,
    }
}

mod leads;
pub use leads::*;
mod opportunity;
use opportunity::opportunity_spec;

#[cfg(test)]
mod tests;
