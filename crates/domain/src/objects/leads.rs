//! The lead: a person and company not yet qualified, who become an account, a contact and
//! an opportunity when converted, or are disqualified with a reason.

use super::{common, f, finish, key, province_options, record_type, ObjectSpec, SOURCES};
use crate::conversion::{Conversion, Links, Map, Moved};
use crate::duplicates::KeyKind;
use crate::fields::FieldType;
use crate::follow_up::{MAN_JUDGEMENTS, QUALIFICATIONS};
use crate::permissions::ObjectKind;
use crate::rules::Rule;

pub const LEAD_STATUSES: &[(&str, &str, &str)] = &[
    ("new", "新线索", "New"),
    ("contacted", "已联系", "Contacted"),
    ("qualified", "已确认", "Qualified"),
    ("converted", "已转化", "Converted"),
    ("disqualified", "无效", "Disqualified"),
];

/// The reasons a lead is disqualified for, as every company starts with them: a standard
/// picklist, so administrators edit them in both languages like any other.
pub const DISQUALIFY_REASONS: &[(&str, &str, &str)] = &[
    ("no_need", "无需求", "No need"),
    ("no_budget", "无预算", "No budget"),
    ("unreachable", "联系不上", "Unreachable"),
    ("competitor", "已选择竞品", "Chose a competitor"),
    ("duplicate", "重复线索", "Duplicate"),
    ("invalid", "信息无效", "Invalid details"),
    ("other", "其他", "Other"),
];

/// How a lead becomes an account, a contact and an opportunity: which of its fields give
/// each one's values, and where it keeps what it became.
pub const LEAD_CONVERSION: Conversion = Conversion {
    status_field: "status",
    converted: "converted",
    disqualified: "disqualified",
    reason_field: "disqualify_reason",
    note_field: "disqualify_note",
    account: &[
        Map::copy("company", "name").or("name"),
        Map::copy("phone", "phone"),
        Map::copy("province", "province"),
        Map::copy("city", "city"),
        Map::copy("industry", "industry"),
    ],
    contact: &[
        Map::copy("name", "name"),
        Map::copy("title", "title"),
        Map::copy("mobile", "mobile"),
        Map::copy("phone", "phone"),
        Map::copy("email", "email"),
        Map::copy("wechat", "wechat"),
        Map::copy("notes", "notes"),
    ],
    opportunity: &[
        Map::copy("company", "name").or("name"),
        Map::copy("source", "source"),
    ],
    links: Links {
        account: "converted_account_id",
        contact: "converted_contact_id",
        opportunity: "converted_opportunity_id",
        at: "converted_at",
        by: "converted_by",
    },
    moved: Moved {
        lead: "lead_id",
        account: "account_id",
        contact: "contact_id",
        opportunity: "opportunity_id",
    },
    contact_account: "account_id",
    opportunity_account: "account_id",
    opportunity_contact: "contact_id",
};

pub(super) fn lead_spec() -> ObjectSpec {
    let provinces = province_options();
    let mut fields = vec![
        f("name", "姓名", "Name", FieldType::Text)
            .required()
            .max(100)
            .indexed()
            .searchable(),
        f("company", "公司名称", "Company", FieldType::Text)
            .max(200)
            .indexed()
            .searchable(),
        f("title", "职务", "Title", FieldType::Text).max(100),
        f("mobile", "手机", "Mobile", FieldType::Phone)
            .indexed()
            .searchable(),
        f("phone", "电话", "Phone", FieldType::Phone).searchable(),
        f("email", "邮箱", "E-mail", FieldType::Email)
            .indexed()
            .searchable(),
        f("wechat", "微信号", "WeChat ID", FieldType::Text).max(64),
        f("province", "省份", "Province", FieldType::Picklist)
            .indexed()
            .options(&provinces),
        f("city", "城市", "City", FieldType::Text).max(50),
        f("industry", "行业", "Industry", FieldType::Text).max(100),
        f("source", "线索来源", "Source", FieldType::Picklist)
            .indexed()
            .options(SOURCES),
        f("status", "状态", "Status", FieldType::Picklist)
            .required()
            .default("new")
            .indexed()
            .options(LEAD_STATUSES),
        f("intent", "意向等级", "Intent", FieldType::Picklist)
            .indexed()
            .options(&[
                ("H", "H 热", "H hot"),
                ("A", "A 高", "A high"),
                ("B", "B 中", "B medium"),
                ("C", "C 低", "C low"),
            ]),
        f(
            "next_follow_up_at",
            "下次跟进",
            "Next follow-up",
            FieldType::DateTime,
        )
        .system()
        .indexed(),
        f("man_money", "预算评估", "MAN money", FieldType::Picklist).options(MAN_JUDGEMENTS),
        f("man_money_note", "预算说明", "Money note", FieldType::Text).max(500),
        f(
            "man_authority",
            "决策权评估",
            "MAN authority",
            FieldType::Picklist,
        )
        .options(MAN_JUDGEMENTS),
        f(
            "man_authority_note",
            "决策权说明",
            "Authority note",
            FieldType::Text,
        )
        .max(500),
        f("man_need", "需求评估", "MAN need", FieldType::Picklist).options(MAN_JUDGEMENTS),
        f("man_need_note", "需求说明", "Need note", FieldType::Text).max(500),
        f(
            "qualification",
            "资格判定",
            "Qualification",
            FieldType::Picklist,
        )
        .system()
        .indexed()
        .options(QUALIFICATIONS),
        f("notes", "备注", "Notes", FieldType::LongText).max(5000),
        f(
            "last_contacted_at",
            "最近联系",
            "Last contacted",
            FieldType::DateTime,
        )
        .system()
        .indexed(),
        f(
            "disqualify_reason",
            "无效原因",
            "Disqualification reason",
            FieldType::Picklist,
        )
        .indexed()
        .options(DISQUALIFY_REASONS),
        f(
            "disqualify_note",
            "无效说明",
            "Disqualification note",
            FieldType::LongText,
        )
        .max(1000),
        f(
            "converted_account_id",
            "转化客户",
            "Converted account",
            FieldType::Lookup,
        )
        .lookup(ObjectKind::Account)
        .system()
        .indexed(),
        f(
            "converted_contact_id",
            "转化联系人",
            "Converted contact",
            FieldType::Lookup,
        )
        .lookup(ObjectKind::Contact)
        .system()
        .indexed(),
        f(
            "converted_opportunity_id",
            "转化商机",
            "Converted opportunity",
            FieldType::Lookup,
        )
        .lookup(ObjectKind::Opportunity)
        .system()
        .indexed(),
        f("converted_at", "转化时间", "Converted", FieldType::DateTime)
            .system()
            .indexed(),
        f("converted_by", "转化人", "Converted by", FieldType::User).system(),
        f(
            "assignment_rule",
            "分配规则",
            "Assignment rule",
            FieldType::Text,
        )
        .max(100)
        .system(),
        f(
            "assignment_method",
            "分配方式",
            "Assignment method",
            FieldType::Picklist,
        )
        .system()
        .indexed()
        .options(crate::assignment::RECORDED_METHODS),
        f("assigned_at", "分配时间", "Assigned", FieldType::DateTime)
            .system()
            .indexed(),
    ];
    fields.push(record_type());
    fields.extend(common());
    ObjectSpec {
        kind: ObjectKind::Lead,
        plural: "leads",
        label_zh: "线索",
        label_en: "Leads",
        fields: finish(fields),
        default_columns: &["name", "company", "status", "intent", "source", "owner_id"],
        shown_when: &[],
        stage_field: None,
        currency_field: None,
        tree: None,
        own_changes_in_stream: false,
        lookup_detail: Some("company"),
        rules: &[
            Rule::LeadStatus,
            Rule::Assignment,
            Rule::Qualification,
            Rule::FollowUp,
        ],
        children: Vec::new(),
        duplicate_keys: const {
            &[
                key("company", KeyKind::CompanyName),
                key("mobile", KeyKind::Phone),
                key("phone", KeyKind::Phone),
                key("email", KeyKind::Email),
            ]
        },
        conversion: Some(&LEAD_CONVERSION),
        archive: None,
    }
}
