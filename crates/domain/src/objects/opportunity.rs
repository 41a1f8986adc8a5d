//! The opportunity (商机): its fields, with the status and close review of
//! [`crate::closing`], and its rules.

use super::*;
use crate::children::Computed;
use crate::closing;

/// Fields relevant only for a won or a lost stage (the review), shown on forms then.
const REVIEW_SHOWN_WHEN: &[ShownWhen] = &[
    ShownWhen {
        field: "win_reason",
        on: "stage",
        values: &["won"],
    },
    ShownWhen {
        field: "loss_reason",
        on: "stage",
        values: &["lost"],
    },
    ShownWhen {
        field: "lost_to_id",
        on: "stage",
        values: &["lost"],
    },
    ShownWhen {
        field: "lost_price",
        on: "stage",
        values: &["lost"],
    },
    ShownWhen {
        field: "close_lessons",
        on: "stage",
        values: &["won", "lost"],
    },
    ShownWhen {
        field: "resume_on",
        on: "status",
        values: &["suspended"],
    },
];

/// The deal's status and the close review (see [`crate::closing`]).
fn closing_fields() -> Vec<F> {
    vec![
        f("status", "商机状态", "Deal status", FieldType::Picklist)
            .system()
            .default("open")
            .indexed()
            .options(closing::STATUSES),
        f(
            "status_reason",
            "中止/终止原因",
            "Suspension / termination reason",
            FieldType::Text,
        )
        .system()
        .max(closing::MAX_REASON as u32),
        f("resume_on", "计划恢复日期", "Resume on", FieldType::Date).system(),
        f("win_reason", "赢单原因", "Win reason", FieldType::Picklist)
            .options(closing::WIN_REASONS),
        f(
            "loss_reason",
            "输单原因",
            "Loss reason",
            FieldType::Picklist,
        )
        .options(closing::LOSS_REASONS),
        f("lost_to_id", "赢单竞争对手", "Lost to", FieldType::Lookup)
            .lookup(ObjectKind::Account)
            .indexed(),
        f(
            "lost_price",
            "竞争对手成交价",
            "Competitor's price",
            FieldType::Money,
        )
        .column("lost_price_minor")
        .range(0, 1_000_000_000_000),
        f(
            "close_lessons",
            "经验教训",
            "Lessons learned",
            FieldType::LongText,
        )
        .max(5000),
    ]
}

pub(super) fn opportunity_spec() -> ObjectSpec {
    let currencies: Vec<(&str, &str, &str)> = crate::money::CURRENCIES
        .iter()
        .map(|c| (c.code, c.name_zh, c.code))
        .collect();
    let stages: Vec<(&str, &str, &str)> = STAGES.iter().map(|s| (s.0, s.1, s.2)).collect();
    let mut fields = vec![
        f("name", "商机名称", "Name", FieldType::Text)
            .required()
            .max(200)
            .indexed()
            .searchable(),
        f("account_id", "客户", "Account", FieldType::Lookup)
            .required()
            .lookup(ObjectKind::Account)
            .indexed(),
        f(
            "contact_id",
            "主要联系人",
            "Primary contact",
            FieldType::Lookup,
        )
        .lookup(ObjectKind::Contact)
        .indexed(),
        f("amount", "金额", "Amount", FieldType::Money)
            .column("amount_minor")
            .range(0, 1_000_000_000_000)
            .indexed(),
        f("currency", "币种", "Currency", FieldType::Picklist)
            .required()
            .default("CNY")
            .options(&currencies),
        f(
            "expected_close",
            "预计成交日期",
            "Expected close",
            FieldType::Date,
        )
        .indexed(),
        f("stage", "销售阶段", "Stage", FieldType::Picklist)
            .required()
            .default("initial")
            .indexed()
            .options(&stages),
        f("win_rate", "赢率", "Win rate", FieldType::Percent).range(0, 100),
        f("source", "来源", "Source", FieldType::Picklist)
            .indexed()
            .options(SOURCES),
        f("closed_on", "结束日期", "Closed on", FieldType::Date)
            .system()
            .indexed(),
        f(
            "products_total",
            "产品合计",
            "Products total",
            FieldType::Money,
        )
        .column("products_total_minor")
        .indexed()
        .computed(Computed::Sum {
            child: "lines",
            field: "amount",
        }),
        f(
            "products_count",
            "产品行数",
            "Product lines",
            FieldType::Number,
        )
        .computed(Computed::Count { child: "lines" }),
        f("notes", "备注", "Notes", FieldType::LongText).max(5000),
    ];
    fields.extend(closing_fields());
    fields.push(record_type());
    fields.extend(common());
    ObjectSpec {
        kind: ObjectKind::Opportunity,
        plural: "opportunities",
        label_zh: "商机",
        label_en: "Opportunities",
        fields: finish(fields),
        default_columns: &[
            "name",
            "account_id",
            "amount",
            "stage",
            "expected_close",
            "owner_id",
        ],
        shown_when: REVIEW_SHOWN_WHEN,
        stage_field: Some("stage"),
        currency_field: Some("currency"),
        tree: None,
        own_changes_in_stream: false,
        lookup_detail: Some("account_id"),
        rules: &[
            Rule::StageSet,
            Rule::StageGate,
            Rule::CloseReview,
            Rule::ContactOfAccount,
            Rule::AccountStream,
            Rule::LastDeal,
        ],
        children: vec![crate::children::opportunity_lines()],
        duplicate_keys: &[],
        conversion: None,
        archive: Some(Archive {
            field: "status",
            working: closing::WORKING,
            archived: closing::ARCHIVED,
            named_by: &["stage"],
        }),
    }
}
