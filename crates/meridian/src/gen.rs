//! `meridian gen`: fills a database with a realistic company, for benchmarks, demos and load
//! tests. Deterministic from `--seed`.
//!
//! What it makes: one company (a group with three subsidiaries, ten regions and 26 sales
//! departments: 40 departments), about 200 users in a manager chain (an administrator,
//! directors, managers, reps) who all share one known password, and accounts with tags,
//! search tokens and field history: mixed Chinese and English names, addresses and phone
//! numbers, deliberate near-duplicates, branches under group accounts, ownership skewed so that
//! a few reps own 5% of all accounts each, spread over three years of created/updated dates.
//!
//! The org goes in through bulk SQL (`store::bulk`), not through the use cases; accounts are
//! made on a generator thread and written 10,000 per transaction on a dedicated connection
//! (multi-row INSERTs on SQLite, COPY on PostgreSQL). Every account passes
//! the account spec's field checks (`CheckedAccount`), so the app can edit it later.
//!
//! Later objects plug in at two places. [`Tier`] says how many of each there are (contacts,
//! leads and opportunities as many as accounts, five activities per account, once those
//! objects exist). `AccountGen::make` already makes each account with everything that hangs
//! off it (tags, search tokens, field history); it will make that account's contacts,
//! opportunities and activities too, into new vectors of [`Batch`], which the writer inserts
//! after the accounts in the same transaction, parents first.

use anyhow::{bail, Context, Result};
use chrono::{DateTime, Duration, NaiveDate, Utc};
use domain::org::child_path;
use domain::permissions::default_roles;
use domain::permissions::ObjectKind;
use rand::rngs::StdRng;
use rand::seq::SliceRandom;
use rand::{Rng, SeedableRng};
use std::collections::VecDeque;
use std::time::Instant;
use store::bulk::{self, NewAccount, NewChange, NewDepartment, NewUser};
use store::Db;
use uuid::Uuid;

/// The password of every generated user.
pub const PASSWORD: &str = "meridian-bench";
/// The company the generator makes.
pub const COMPANY: &str = "华夏远景集团";
/// Accounts per transaction (and per message from the generator thread).
const BATCH: usize = 10_000;
/// Rows of tags, search tokens or history written per transaction after the accounts.
const LOAD_PART: usize = 500_000;

#[derive(clap::ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum Tier {
    /// 10,000 accounts.
    S,
    /// 100,000 accounts.
    M,
    /// 1,000,000 accounts.
    L,
}

impl Tier {
    /// Accounts of the tier. (Contacts, leads and opportunities will be as many, and activities
    /// five per account, when those objects exist.)
    pub fn accounts(self) -> u64 {
        match self {
            Tier::S => 10_000,
            Tier::M => 100_000,
            Tier::L => 1_000_000,
        }
    }
}

#[derive(clap::Args, Clone, Debug)]
pub struct GenArgs {
    /// Size: S = 10k, M = 100k, L = 1M accounts (and ~200 users).
    #[arg(long, value_enum, ignore_case = true, default_value = "s")]
    pub tier: Tier,
    /// Seed of the random generator: the same seed and sizes give the same data.
    #[arg(long, default_value_t = 42)]
    pub seed: u64,
    /// Add another company even if the database has one already.
    #[arg(long)]
    pub force_new_company: bool,
    /// The day after the last generated date (records span the three years before it);
    /// default: today (UTC).
    #[arg(long)]
    pub until: Option<NaiveDate>,
    /// Exact number of accounts, instead of the tier's (for tests).
    #[arg(long, hide = true)]
    pub accounts: Option<u64>,
    /// Exact number of users, instead of 200 (at least 5; for tests).
    #[arg(long, hide = true)]
    pub users: Option<usize>,
}

/// What a run made.
#[derive(Debug, Clone)]
pub struct Summary {
    pub tenant_id: Uuid,
    pub admin_email: String,
    pub counts: bulk::Counts,
    pub near_duplicates: u64,
    pub branches: u64,
    pub seconds: f64,
}

// ================================================================ reference data

/// Brand syllables: (Chinese, pinyin).
const SYLLABLES: &[(&str, &str)] = &[
    ("华", "Hua"),
    ("信", "Xin"),
    ("瑞", "Rui"),
    ("丰", "Feng"),
    ("鑫", "Xin"),
    ("达", "Da"),
    ("恒", "Heng"),
    ("泰", "Tai"),
    ("宏", "Hong"),
    ("远", "Yuan"),
    ("博", "Bo"),
    ("通", "Tong"),
    ("盛", "Sheng"),
    ("兴", "Xing"),
    ("安", "An"),
    ("康", "Kang"),
    ("明", "Ming"),
    ("新", "Xin"),
    ("金", "Jin"),
    ("海", "Hai"),
    ("天", "Tian"),
    ("中", "Zhong"),
    ("联", "Lian"),
    ("嘉", "Jia"),
    ("永", "Yong"),
    ("创", "Chuang"),
    ("卓", "Zhuo"),
    ("越", "Yue"),
    ("汇", "Hui"),
    ("德", "De"),
    ("和", "He"),
    ("正", "Zheng"),
    ("广", "Guang"),
    ("宇", "Yu"),
    ("辰", "Chen"),
    ("星", "Xing"),
    ("光", "Guang"),
    ("启", "Qi"),
    ("航", "Hang"),
    ("智", "Zhi"),
    ("慧", "Hui"),
    ("云", "Yun"),
    ("峰", "Feng"),
    ("腾", "Teng"),
    ("飞", "Fei"),
    ("龙", "Long"),
    ("凯", "Kai"),
    ("隆", "Long"),
    ("昌", "Chang"),
    ("荣", "Rong"),
    ("富", "Fu"),
    ("源", "Yuan"),
    ("润", "Run"),
    ("顺", "Shun"),
    ("祥", "Xiang"),
    ("锦", "Jin"),
    ("蓝", "Lan"),
    ("青", "Qing"),
    ("东", "Dong"),
    ("南", "Nan"),
    ("立", "Li"),
    ("方", "Fang"),
    ("诚", "Cheng"),
    ("益", "Yi"),
    ("佳", "Jia"),
    ("优", "You"),
    ("拓", "Tuo"),
    ("展", "Zhan"),
    ("九", "Jiu"),
    ("百", "Bai"),
    ("万", "Wan"),
    ("千", "Qian"),
    ("道", "Dao"),
    ("合", "He"),
    ("美", "Mei"),
    ("鼎", "Ding"),
    ("晟", "Sheng"),
    ("弘", "Hong"),
    ("骏", "Jun"),
    ("睿", "Rui"),
    ("思", "Si"),
    ("铭", "Ming"),
    ("泽", "Ze"),
    ("澳", "Ao"),
    ("亚", "Ya"),
    ("欧", "Ou"),
    ("环", "Huan"),
    ("力", "Li"),
    ("众", "Zhong"),
    ("捷", "Jie"),
];

/// Industry words: (in a Chinese name, in an English name, short for web sites, the industry
/// field).
const INDUSTRIES: &[(&str, &str, &str, &str)] = &[
    ("科技", "Technology", "tech", "信息技术"),
    ("软件", "Software", "soft", "信息技术"),
    ("信息技术", "Information Technology", "it", "信息技术"),
    ("网络", "Network", "net", "信息技术"),
    ("数据", "Data", "data", "信息技术"),
    ("电子", "Electronics", "elec", "电子制造"),
    ("光电", "Optoelectronics", "opto", "电子制造"),
    ("机械", "Machinery", "mach", "装备制造"),
    ("精密", "Precision", "precision", "装备制造"),
    ("制造", "Manufacturing", "mfg", "装备制造"),
    ("实业", "Industrial", "ind", "装备制造"),
    ("物流", "Logistics", "logistics", "物流"),
    ("供应链", "Supply Chain", "scm", "物流"),
    ("贸易", "Trading", "trade", "批发零售"),
    ("商贸", "Commerce", "commerce", "批发零售"),
    ("医药", "Pharmaceutical", "pharma", "医疗健康"),
    ("生物", "Biotech", "bio", "医疗健康"),
    ("医疗器械", "Medical Devices", "med", "医疗健康"),
    ("能源", "Energy", "energy", "能源"),
    ("新能源", "New Energy", "newenergy", "能源"),
    ("化工", "Chemical", "chem", "化工"),
    ("材料", "Materials", "materials", "化工"),
    ("食品", "Foods", "foods", "食品饮料"),
    ("建设", "Construction", "build", "建筑工程"),
    ("环保", "Environmental", "eco", "环保"),
    ("汽车", "Automotive", "auto", "汽车"),
    ("传媒", "Media", "media", "文化传媒"),
    ("教育", "Education", "edu", "教育"),
    ("咨询", "Consulting", "consult", "专业服务"),
    ("投资", "Investment", "invest", "金融"),
    ("置业", "Real Estate", "estate", "房地产"),
    ("智能", "Intelligent", "ai", "信息技术"),
];

/// Cities: (Chinese, English, province code, area code, weight). An empty area code means
/// Hong Kong numbering.
const CITIES: &[(&str, &str, &str, &str, u32)] = &[
    ("北京", "Beijing", "11", "10", 100),
    ("上海", "Shanghai", "31", "21", 100),
    ("广州", "Guangzhou", "44", "20", 60),
    ("深圳", "Shenzhen", "44", "755", 80),
    ("杭州", "Hangzhou", "33", "571", 50),
    ("南京", "Nanjing", "32", "25", 40),
    ("苏州", "Suzhou", "32", "512", 40),
    ("成都", "Chengdu", "51", "28", 40),
    ("武汉", "Wuhan", "42", "27", 35),
    ("西安", "Xi'an", "61", "29", 30),
    ("天津", "Tianjin", "12", "22", 30),
    ("重庆", "Chongqing", "50", "23", 30),
    ("长沙", "Changsha", "43", "731", 20),
    ("郑州", "Zhengzhou", "41", "371", 20),
    ("济南", "Jinan", "37", "531", 15),
    ("青岛", "Qingdao", "37", "532", 20),
    ("宁波", "Ningbo", "33", "574", 20),
    ("厦门", "Xiamen", "35", "592", 15),
    ("福州", "Fuzhou", "35", "591", 10),
    ("合肥", "Hefei", "34", "551", 15),
    ("东莞", "Dongguan", "44", "769", 20),
    ("佛山", "Foshan", "44", "757", 15),
    ("无锡", "Wuxi", "32", "510", 15),
    ("沈阳", "Shenyang", "21", "24", 10),
    ("大连", "Dalian", "21", "411", 10),
    ("哈尔滨", "Harbin", "23", "451", 8),
    ("长春", "Changchun", "22", "431", 6),
    ("石家庄", "Shijiazhuang", "13", "311", 6),
    ("太原", "Taiyuan", "14", "351", 5),
    ("南昌", "Nanchang", "36", "791", 6),
    ("昆明", "Kunming", "53", "871", 6),
    ("贵阳", "Guiyang", "52", "851", 5),
    ("南宁", "Nanning", "45", "771", 5),
    ("海口", "Haikou", "46", "898", 3),
    ("兰州", "Lanzhou", "62", "931", 3),
    ("乌鲁木齐", "Urumqi", "65", "991", 2),
    ("呼和浩特", "Hohhot", "15", "471", 2),
    ("银川", "Yinchuan", "64", "951", 1),
    ("西宁", "Xining", "63", "971", 1),
    ("拉萨", "Lhasa", "54", "891", 1),
    ("香港", "Hong Kong", "81", "", 12),
];

const DISTRICTS: &[(&str, &str)] = &[
    ("高新区", "Hi-tech Zone"),
    ("经济技术开发区", "Economic Development Zone"),
    ("城东区", "Chengdong District"),
    ("城西区", "Chengxi District"),
    ("中心区", "Central District"),
    ("滨江区", "Binjiang District"),
    ("新城区", "Xincheng District"),
    ("工业园区", "Industrial Park"),
];

const ROADS: &[(&str, &str)] = &[
    ("人民路", "Renmin Road"),
    ("建设路", "Jianshe Road"),
    ("中山路", "Zhongshan Road"),
    ("解放路", "Jiefang Road"),
    ("和平路", "Heping Road"),
    ("科技路", "Keji Road"),
    ("长江路", "Changjiang Road"),
    ("黄河路", "Huanghe Road"),
    ("文化路", "Wenhua Road"),
    ("学府路", "Xuefu Road"),
    ("创业大道", "Chuangye Avenue"),
    ("世纪大道", "Shiji Avenue"),
];

const ZH_SUFFIXES: &[&str] = &["有限公司", "股份有限公司", "有限责任公司", "集团有限公司"];
const EN_SUFFIXES: &[&str] = &["Co., Ltd.", "Limited", "Ltd.", "Inc.", "Corporation", "LLC"];
const WESTERN_ADJ: &[&str] = &[
    "Blue",
    "Golden",
    "Pacific",
    "Northern",
    "Summit",
    "Apex",
    "Silver",
    "Eastern",
    "Global",
    "Pioneer",
    "Evergreen",
    "Crystal",
    "Bright",
    "Prime",
    "United",
    "Royal",
    "Atlas",
    "Orient",
    "Red",
    "Jade",
];
const WESTERN_NOUN: &[&str] = &[
    "River", "Peak", "Bridge", "Star", "Ocean", "Harbor", "Stone", "Lake", "Valley", "Gate",
    "Crown", "Wave", "Sky", "Field", "Forest", "Dragon", "Lotus", "Phoenix",
];

const TAGS: &[&str] = &[
    "重点客户",
    "VIP",
    "战略合作",
    "新客户",
    "老客户",
    "续约",
    "渠道伙伴",
    "政府",
    "国企",
    "上市公司",
    "世界500强",
    "潜在流失",
    "展会",
    "转介绍",
    "高潜力",
];

const SURNAMES: &str = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤";
const GIVEN: &str = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超霞平刚桂英华玉萍红鹏辉玲建国文斌宇浩凯婷雪琳晨欣怡佳思子涵轩博然峰龙飞鑫波宁丹蕾倩悦雅晶亮成";
const EN_FIRST: &[&str] = &[
    "James", "Emily", "David", "Grace", "Michael", "Sophia", "Kevin", "Jessica", "Daniel",
    "Olivia", "Jason", "Amy", "Eric", "Cindy", "Tony", "Helen", "Peter", "Vivian", "Ryan", "Alice",
];
const EN_LAST: &[&str] = &[
    "Chan", "Wong", "Lee", "Cheung", "Lau", "Ng", "Ho", "Leung", "Tang", "Yip", "Smith", "Brown",
    "Taylor", "Miller", "Clarke",
];

const MOBILE_PREFIXES: &[&str] = &[
    "130", "131", "132", "133", "135", "136", "137", "138", "139", "150", "151", "152", "155",
    "156", "157", "158", "159", "177", "180", "181", "182", "185", "186", "187", "188", "189",
    "199",
];

const CREDIT_ALPHABET: &[u8] = b"0123456789ABCDEFGHJKLMNPQRTUWXY";

// ================================================================ helpers

/// A UUIDv7 at `t` whose random bits come from the seeded generator.
fn uuid_at(rng: &mut StdRng, t: DateTime<Utc>) -> Uuid {
    let mut bytes = [0u8; 10];
    rng.fill(&mut bytes);
    uuid::Builder::from_unix_timestamp_millis(t.timestamp_millis().max(0) as u64, &bytes)
        .into_uuid()
}

fn pick<'a, T>(rng: &mut StdRng, items: &'a [T]) -> &'a T {
    &items[rng.gen_range(0..items.len())]
}

fn chars(s: &str) -> Vec<char> {
    s.chars().collect()
}

fn person_name(rng: &mut StdRng, english: bool) -> String {
    if english {
        format!("{} {}", pick(rng, EN_FIRST), pick(rng, EN_LAST))
    } else {
        let surnames = chars(SURNAMES);
        let given = chars(GIVEN);
        let mut name = String::new();
        name.push(*pick(rng, &surnames));
        name.push(*pick(rng, &given));
        if rng.gen_bool(0.6) {
            name.push(*pick(rng, &given));
        }
        name
    }
}

/// Cumulative weights for sampling by binary search.
struct Weighted {
    cumulative: Vec<f64>,
}

impl Weighted {
    fn new(weights: impl IntoIterator<Item = f64>) -> Self {
        let mut total = 0.0;
        let cumulative = weights
            .into_iter()
            .map(|w| {
                total += w;
                total
            })
            .collect();
        Self { cumulative }
    }

    fn sample(&self, rng: &mut StdRng) -> usize {
        let total = *self.cumulative.last().unwrap_or(&1.0);
        let x = rng.gen::<f64>() * total;
        self.cumulative
            .partition_point(|&c| c <= x)
            .min(self.cumulative.len() - 1)
    }
}

/// Maps a moment to the same day's office hours (09:00–19:00 Beijing time), keeping order
/// within the day.
fn office_hours(t: DateTime<Utc>) -> DateTime<Utc> {
    let day = t.timestamp().div_euclid(86_400) * 86_400;
    let into_day = (t.timestamp_millis() - day * 1000) as f64 / 86_400_000.0;
    let ms = day * 1000 + 3_600_000 + (into_day * 36_000_000.0) as i64;
    DateTime::from_timestamp_millis(ms).unwrap_or(t)
}

// ================================================================ the org

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Kind {
    Admin,
    Director,
    Manager,
    Rep,
}

impl Kind {
    fn role_key(self) -> &'static str {
        match self {
            Kind::Admin => "administrator",
            Kind::Director => "sales_director",
            Kind::Manager => "sales_manager",
            Kind::Rep => "sales_rep",
        }
    }
}

struct Dept {
    id: Uuid,
    parent: Option<usize>,
    name: String,
    path: String,
    head: Option<usize>,
    /// Index of the subsidiary it belongs to (None for the group).
    subsidiary: Option<usize>,
}

struct Person {
    id: Uuid,
    kind: Kind,
    email: String,
    name: String,
    dept: usize,
    manager: Option<usize>,
    manager_path: String,
    created_at: DateTime<Utc>,
}

struct Org {
    depts: Vec<Dept>,
    people: Vec<Person>,
}

const SUBSIDIARIES: &[(&str, &[(&str, usize)])] = &[
    (
        "华夏远景科技有限公司",
        &[
            ("华北大区", 3),
            ("华东大区", 3),
            ("华南大区", 3),
            ("西南大区", 3),
        ],
    ),
    (
        "华夏远景供应链管理有限公司",
        &[("北方区", 3), ("南方区", 3), ("中部区", 2)],
    ),
    (
        "Meridian Vision (Hong Kong) Limited",
        &[("香港区", 2), ("海外区", 2), ("东南亚区", 2)],
    ),
];
const DEPARTMENT_NAMES: &[&str] = &["销售一部", "销售二部", "大客户部"];

fn plan_org(rng: &mut StdRng, users: usize, domain: &str, start: DateTime<Utc>) -> Org {
    let mut depts: Vec<Dept> = Vec::new();
    let add = |rng: &mut StdRng,
               depts: &mut Vec<Dept>,
               parent: Option<usize>,
               name: String,
               subsidiary: Option<usize>| {
        let id = uuid_at(rng, start);
        let path = child_path(parent.map(|p| depts[p].path.as_str()), id);
        depts.push(Dept {
            id,
            parent,
            name,
            path,
            head: None,
            subsidiary,
        });
        depts.len() - 1
    };
    let root = add(rng, &mut depts, None, COMPANY.to_string(), None);
    let mut subsidiaries = Vec::new();
    let mut regions: Vec<Vec<usize>> = Vec::new();
    let mut leaves: Vec<Vec<usize>> = Vec::new();
    for (s, (name, region_list)) in SUBSIDIARIES.iter().enumerate() {
        let sub = add(rng, &mut depts, Some(root), name.to_string(), Some(s));
        subsidiaries.push(sub);
        for (region_name, n) in region_list.iter() {
            let region = add(rng, &mut depts, Some(sub), region_name.to_string(), Some(s));
            let mut l = Vec::new();
            for dept_name in &DEPARTMENT_NAMES[..*n] {
                l.push(add(
                    rng,
                    &mut depts,
                    Some(region),
                    dept_name.to_string(),
                    Some(s),
                ));
            }
            regions.push(vec![region]);
            leaves.push(l);
        }
    }
    // Interleave so that a small org still spreads its managers over the subsidiaries.
    let region_order: Vec<usize> = {
        let per_sub: Vec<Vec<usize>> = (0..SUBSIDIARIES.len())
            .map(|s| {
                regions
                    .iter()
                    .flatten()
                    .copied()
                    .filter(|&r| depts[r].subsidiary == Some(s))
                    .collect()
            })
            .collect();
        interleave(&per_sub)
    };
    let leaf_order: Vec<usize> = {
        let per_region: Vec<Vec<usize>> = region_order
            .iter()
            .map(|&r| {
                leaves
                    .iter()
                    .flatten()
                    .copied()
                    .filter(|&d| depts[d].parent == Some(r))
                    .collect()
            })
            .collect();
        interleave(&per_region)
    };

    let users = users.max(5);
    let rest = users - 4;
    let region_heads = (rest / 4).min(region_order.len());
    let dept_heads = (rest / 4).min(leaf_order.len());
    let reps = rest - region_heads - dept_heads;

    let mut slots: Vec<(Kind, usize)> = vec![(Kind::Admin, root)];
    slots.extend(subsidiaries.iter().map(|&s| (Kind::Director, s)));
    slots.extend(
        region_order[..region_heads]
            .iter()
            .map(|&r| (Kind::Manager, r)),
    );
    slots.extend(leaf_order[..dept_heads].iter().map(|&d| (Kind::Manager, d)));
    slots.extend((0..reps).map(|i| (Kind::Rep, leaf_order[i % leaf_order.len()])));

    let mut people: Vec<Person> = Vec::new();
    let (mut directors, mut managers, mut reps_n) = (0, 0, 0);
    for (kind, dept) in slots {
        let index = people.len();
        if kind != Kind::Rep {
            depts[dept].head = Some(index);
        }
        // The manager: the head of the nearest department above (or at, for reps) this one.
        let mut d = if kind == Kind::Rep {
            Some(dept)
        } else {
            depts[dept].parent
        };
        let mut manager = None;
        while let Some(i) = d {
            if let Some(h) = depts[i].head.filter(|&h| h != index) {
                manager = Some(h);
                break;
            }
            d = depts[i].parent;
        }
        let created_at = office_hours(
            start - Duration::days(60) + Duration::minutes(rng.gen_range(0..60 * 24 * 700)),
        );
        let created_at = if kind == Kind::Admin {
            start - Duration::days(90)
        } else {
            created_at
        };
        let id = uuid_at(rng, created_at);
        let manager_path = child_path(manager.map(|m| people[m].manager_path.as_str()), id);
        let email = match kind {
            Kind::Admin => format!("admin@{domain}"),
            Kind::Director => {
                directors += 1;
                format!("director{directors}@{domain}")
            }
            Kind::Manager => {
                managers += 1;
                format!("manager{managers:02}@{domain}")
            }
            Kind::Rep => {
                reps_n += 1;
                format!("rep{reps_n:03}@{domain}")
            }
        };
        let english = match depts[dept].subsidiary {
            Some(2) => rng.gen_bool(0.7),
            _ => rng.gen_bool(0.05),
        };
        let name = person_name(rng, english);
        people.push(Person {
            id,
            kind,
            email,
            name,
            dept,
            manager,
            manager_path,
            created_at,
        });
    }
    Org { depts, people }
}

fn interleave(lists: &[Vec<usize>]) -> Vec<usize> {
    let longest = lists.iter().map(Vec::len).max().unwrap_or(0);
    (0..longest)
        .flat_map(|i| lists.iter().filter_map(move |l| l.get(i).copied()))
        .collect()
}

/// Who owns how much: a few "whale" reps own 5% of all accounts each, the other reps share
/// most of the rest with a long tail, managers own a little, directors and the administrator
/// almost nothing.
fn ownership(rng: &mut StdRng, org: &Org) -> (Weighted, Vec<usize>) {
    let mut reps: Vec<usize> = (0..org.people.len())
        .filter(|&i| org.people[i].kind == Kind::Rep)
        .collect();
    reps.shuffle(rng);
    let whales = if reps.len() >= 40 {
        4
    } else {
        usize::from(reps.len() >= 5)
    };
    let managers: Vec<usize> = (0..org.people.len())
        .filter(|&i| org.people[i].kind == Kind::Manager)
        .collect();
    let top: Vec<usize> = (0..org.people.len())
        .filter(|&i| matches!(org.people[i].kind, Kind::Admin | Kind::Director))
        .collect();
    let mut owners = Vec::new();
    let mut weights = Vec::new();
    let others = &reps[whales..];
    let other_share = 0.92 - 0.05 * whales as f64;
    let zipf: Vec<f64> = (0..others.len())
        .map(|r| 1.0 / ((r + 1) as f64).sqrt())
        .collect();
    let zipf_total: f64 = zipf.iter().sum();
    for &w in &reps[..whales] {
        owners.push(w);
        weights.push(0.05);
    }
    for (i, &r) in others.iter().enumerate() {
        owners.push(r);
        weights.push(other_share * zipf[i] / zipf_total);
    }
    for &m in &managers {
        owners.push(m);
        weights.push(0.07 / managers.len() as f64);
    }
    for &t in &top {
        owners.push(t);
        weights.push(0.01 / top.len() as f64);
    }
    (Weighted::new(weights), owners)
}

// ================================================================ accounts

/// A company as the generator imagines it, before it becomes an account's fields.
#[derive(Clone)]
struct Firm {
    english: bool,
    western: bool,
    brand_zh: String,
    brand_en: String,
    industry: usize,
    city: usize,
    with_city: bool,
    suffix: usize,
    phone: Option<String>,
    credit_code: Option<String>,
    website: Option<String>,
}

impl Firm {
    fn new(rng: &mut StdRng, cities: &Weighted) -> Firm {
        let english = rng.gen_bool(0.25);
        let western = english && rng.gen_bool(0.4);
        let (brand_zh, brand_en) = if western {
            let a = *pick(rng, WESTERN_ADJ);
            let n = *pick(rng, WESTERN_NOUN);
            (String::new(), format!("{a} {n}"))
        } else {
            let (z1, p1) = *pick(rng, SYLLABLES);
            let (z2, p2) = *pick(rng, SYLLABLES);
            (format!("{z1}{z2}"), format!("{p1}{}", p2.to_lowercase()))
        };
        let industry = rng.gen_range(0..INDUSTRIES.len());
        let city = cities.sample(rng);
        let suffix = if english {
            rng.gen_range(0..EN_SUFFIXES.len())
        } else {
            *pick(rng, &[0, 0, 0, 0, 0, 1, 1, 2, 3])
        };
        let phone = rng.gen_bool(0.85).then(|| phone_number(rng, city));
        let credit_code = (!western && rng.gen_bool(0.7)).then(|| credit_code(rng, city));
        let website = rng.gen_bool(0.5).then(|| {
            let host = brand_en.to_lowercase().replace(' ', "");
            let tld = if western {
                ".com"
            } else {
                *pick(rng, &[".com", ".com.cn", ".cn"])
            };
            format!("www.{host}{}{tld}", INDUSTRIES[industry].2)
        });
        Firm {
            english,
            western,
            brand_zh,
            brand_en,
            industry,
            city,
            with_city: rng.gen_bool(0.6),
            suffix,
            phone,
            credit_code,
            website,
        }
    }

    /// The registered name; `paren` puts the city in brackets after the brand
    /// (瑞丰科技（深圳）有限公司), as branches and some registrations do.
    fn name(&self, paren: bool, half_width: bool) -> String {
        let (city_zh, city_en, ..) = CITIES[self.city];
        let (ind_zh, ind_en, ..) = INDUSTRIES[self.industry];
        if self.english {
            let suffix = EN_SUFFIXES[self.suffix];
            if paren {
                format!("{} {ind_en} ({city_en}) {suffix}", self.brand_en)
            } else if self.with_city && !self.western {
                format!("{city_en} {} {ind_en} {suffix}", self.brand_en)
            } else {
                format!("{} {ind_en} {suffix}", self.brand_en)
            }
        } else {
            let suffix = ZH_SUFFIXES[self.suffix];
            if paren {
                let (l, r) = if half_width {
                    ("(", ")")
                } else {
                    ("（", "）")
                };
                format!("{}{ind_zh}{l}{city_zh}{r}{suffix}", self.brand_zh)
            } else if self.with_city {
                format!("{city_zh}{}{ind_zh}{suffix}", self.brand_zh)
            } else {
                format!("{}{ind_zh}{suffix}", self.brand_zh)
            }
        }
    }
}

fn phone_number(rng: &mut StdRng, city: usize) -> String {
    let area = CITIES[city].3;
    if area.is_empty() {
        return format!(
            "+852 {}{:03} {:04}",
            pick(rng, &[2, 3]),
            rng.gen_range(0..1000),
            rng.gen_range(0..10_000)
        );
    }
    if rng.gen_bool(0.5) {
        format!(
            "{}{:08}",
            pick(rng, MOBILE_PREFIXES),
            rng.gen_range(0..100_000_000)
        )
    } else {
        format!(
            "0{area}-{}{:07}",
            rng.gen_range(2..9),
            rng.gen_range(0..10_000_000)
        )
    }
}

fn credit_code(rng: &mut StdRng, city: usize) -> String {
    let province = CITIES[city].2;
    let mut first17 = format!(
        "91{province}{:02}{:02}",
        rng.gen_range(1..20),
        rng.gen_range(1..30)
    );
    for _ in 0..9 {
        first17.push(CREDIT_ALPHABET[rng.gen_range(0..CREDIT_ALPHABET.len())] as char);
    }
    // The alphabet is the code's own, so a check character always exists.
    let check = domain::credit_code::check_character(&first17).unwrap_or('0');
    format!("{first17}{check}")
}

fn province_prefix(code: &str) -> String {
    let Some(p) = domain::regions::province(code) else {
        return String::new();
    };
    match code {
        "11" | "12" | "31" | "50" | "81" | "82" => String::new(),
        "15" | "54" => format!("{}自治区", p.name_zh),
        "45" => "广西壮族自治区".into(),
        "64" => "宁夏回族自治区".into(),
        "65" => "新疆维吾尔自治区".into(),
        _ => format!("{}省", p.name_zh),
    }
}

fn address(rng: &mut StdRng, city: usize, english: bool) -> String {
    let (city_zh, city_en, province, ..) = CITIES[city];
    let (district_zh, district_en) = *pick(rng, DISTRICTS);
    let (road_zh, road_en) = *pick(rng, ROADS);
    let number = rng.gen_range(1..1000);
    if english {
        format!("{number} {road_en}, {district_en}, {city_en}, China")
    } else {
        let city_part = if province == "81" {
            city_zh.to_string()
        } else {
            format!("{city_zh}市")
        };
        let floor = if rng.gen_bool(0.4) {
            format!("{}楼", rng.gen_range(2..40))
        } else {
            String::new()
        };
        format!(
            "{}{city_part}{district_zh}{road_zh}{number}号{floor}",
            province_prefix(province)
        )
    }
}

/// A recent account that later ones may duplicate or hang below.
#[derive(Clone)]
struct Recent {
    firm: Firm,
    id: Uuid,
    name: String,
    owner: usize,
}

/// The rows of one transaction: accounts and what hangs off them.
pub struct Batch {
    accounts: Vec<NewAccount>,
    tags: Vec<(Uuid, String)>,
    tokens: Vec<(Uuid, String)>,
    history: Vec<NewChange>,
}

#[derive(Default, Debug, Clone, Copy)]
struct Stats {
    near_duplicates: u64,
    branches: u64,
}

struct AccountGen {
    rng: StdRng,
    total: u64,
    start: DateTime<Utc>,
    anchor: DateTime<Utc>,
    cities: Weighted,
    owners: Weighted,
    owner_ids: Vec<usize>,
    people: Vec<(Uuid, String, Option<usize>)>,
    firms: VecDeque<Recent>,
    roots: VecDeque<Recent>,
    stats: Stats,
}

const RECENT: usize = 2000;

impl AccountGen {
    fn new(seed: u64, total: u64, org: &Org, start: DateTime<Utc>, anchor: DateTime<Utc>) -> Self {
        let mut rng = StdRng::seed_from_u64(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) ^ 0xACC0);
        let (owners, owner_ids) = ownership(&mut rng, org);
        AccountGen {
            rng,
            total,
            start,
            anchor,
            cities: Weighted::new(CITIES.iter().map(|c| c.4 as f64)),
            owners,
            owner_ids,
            people: org
                .people
                .iter()
                .map(|p| (p.id, p.name.clone(), p.manager))
                .collect(),
            firms: VecDeque::new(),
            roots: VecDeque::new(),
            stats: Stats::default(),
        }
    }

    /// When the `i`th account was created: more accounts in recent months (a growing
    /// business), in office hours, in order.
    fn created_at(&mut self, i: u64) -> DateTime<Utc> {
        let x = (i as f64 + self.rng.gen::<f64>()) / self.total as f64;
        let span = (self.anchor - self.start).num_milliseconds() as f64;
        let t = self.start + Duration::milliseconds((x.powf(0.7) * span) as i64);
        office_hours(t)
    }

    fn make(&mut self, i: u64, batch: &mut Batch) -> Result<()> {
        let rng_roll: f64 = self.rng.gen();
        let created_at = self.created_at(i);
        let (firm, name, parent, owner) = if rng_roll < 0.03 && !self.firms.is_empty() {
            // A near-duplicate of a recent account, often entered by someone else.
            self.stats.near_duplicates += 1;
            let original = self.firms[self.rng.gen_range(0..self.firms.len())].clone();
            let mut firm = original.firm.clone();
            let name = match self.rng.gen_range(0..6) {
                0 => original.name.clone(),
                1 => {
                    firm.suffix = (firm.suffix + 1)
                        % if firm.english {
                            EN_SUFFIXES.len()
                        } else {
                            ZH_SUFFIXES.len()
                        };
                    firm.name(false, false)
                }
                2 => firm.name(true, false),
                3 => firm.name(true, true),
                4 => {
                    firm.with_city = !firm.with_city;
                    firm.name(false, false)
                }
                _ => {
                    if firm.english {
                        original.name.to_uppercase()
                    } else {
                        // A space typed after the city or the brand.
                        let c: Vec<char> = original.name.chars().collect();
                        let at = 2.min(c.len());
                        format!(
                            "{} {}",
                            c[..at].iter().collect::<String>(),
                            c[at..].iter().collect::<String>()
                        )
                    }
                }
            };
            if self.rng.gen_bool(0.5) {
                firm.phone = self
                    .rng
                    .gen_bool(0.85)
                    .then(|| phone_number(&mut self.rng, firm.city));
            }
            if self.rng.gen_bool(0.7) {
                firm.credit_code = None;
            }
            let owner = if self.rng.gen_bool(0.6) {
                self.owner_ids[self.owners.sample(&mut self.rng)]
            } else {
                original.owner
            };
            (firm, name, None, owner)
        } else if rng_roll < 0.07 && !self.roots.is_empty() {
            // A branch of a recent group account, owned by the same rep.
            self.stats.branches += 1;
            let parent = self.roots[self.rng.gen_range(0..self.roots.len())].clone();
            let mut firm = parent.firm.clone();
            firm.city = self.cities.sample(&mut self.rng);
            firm.phone = self
                .rng
                .gen_bool(0.85)
                .then(|| phone_number(&mut self.rng, firm.city));
            firm.credit_code = self
                .rng
                .gen_bool(0.7)
                .then(|| credit_code(&mut self.rng, firm.city));
            let (city_zh, city_en, ..) = CITIES[firm.city];
            let name = if firm.english {
                format!("{} {city_en} Branch", parent.name)
            } else {
                format!("{}{city_zh}分公司", parent.name)
            };
            (firm, name, Some(parent.id), parent.owner)
        } else {
            let firm = Firm::new(&mut self.rng, &self.cities);
            let name = firm.name(self.rng.gen_bool(0.1), false);
            let owner = self.owner_ids[self.owners.sample(&mut self.rng)];
            (firm, name, None, owner)
        };
        let id = uuid_at(&mut self.rng, created_at);
        self.account(batch, id, created_at, firm, name, parent, owner)
    }

    #[allow(clippy::too_many_arguments)]
    fn account(
        &mut self,
        batch: &mut Batch,
        id: Uuid,
        created_at: DateTime<Utc>,
        firm: Firm,
        name: String,
        parent: Option<Uuid>,
        owner: usize,
    ) -> Result<()> {
        let rng = &mut self.rng;
        let (city_zh, _, province, ..) = CITIES[firm.city];
        let account_type = *pick(
            rng,
            &[
                "customer", "customer", "customer", "customer", "customer", "customer", "customer",
                "partner", "supplier", "other",
            ],
        );
        let account_type = if rng.gen_bool(0.02) {
            "competitor"
        } else {
            account_type
        };
        let grade = *pick(
            rng,
            &[
                None,
                Some("A"),
                Some("B"),
                Some("B"),
                Some("C"),
                Some("C"),
                Some("C"),
                Some("D"),
            ],
        );
        let tag_count = *pick(rng, &[0, 0, 0, 0, 1, 1, 1, 2, 2, 3]);
        let mut tags: Vec<String> = Vec::new();
        while tags.len() < tag_count {
            let t = pick(rng, TAGS).to_string();
            if !tags.contains(&t) {
                tags.push(t);
            }
        }
        let description = rng.gen_bool(0.2).then(|| {
            let year = created_at.format("%Y");
            let (_, ind_en, _, ind_zh) = INDUSTRIES[firm.industry];
            if firm.english {
                format!("Met at a {ind_en} trade fair in {year}; evaluating our platform.")
            } else {
                format!(
                    "{year}年{}获取的{ind_zh}客户，关注产品价格和交付周期。",
                    pick(
                        rng,
                        &["展会", "官网咨询", "老客户转介绍", "电话拜访", "招投标"]
                    )
                )
            }
        });
        let mut texts: Vec<(&'static str, Option<String>)> = vec![
            ("name", Some(name)),
            ("account_type", Some(account_type.into())),
            ("industry", Some(INDUSTRIES[firm.industry].3.into())),
            ("province", Some(province.into())),
            ("city", Some(city_zh.into())),
            ("grade", grade.map(Into::into)),
            ("phone", firm.phone.clone()),
            ("website", firm.website.clone()),
            (
                "address",
                rng.gen_bool(0.8)
                    .then(|| address(rng, firm.city, firm.english)),
            ),
            ("credit_code", firm.credit_code.clone()),
            ("parent_id", parent.map(|p| p.to_string())),
            ("description", description),
        ];
        let fields = match CheckedAccount::check(&texts, &tags) {
            Ok(f) => f,
            Err(bad) if bad.iter().all(|f| *f == "phone") => {
                // A landline the numbering plan does not know: use a mobile number.
                let mobile = format!(
                    "{}{:08}",
                    pick(rng, MOBILE_PREFIXES),
                    rng.gen_range(0..100_000_000)
                );
                for (key, value) in texts.iter_mut() {
                    if *key == "phone" {
                        *value = Some(mobile.clone());
                    }
                }
                CheckedAccount::check(&texts, &tags)
                    .map_err(|e| anyhow::anyhow!("generated an invalid account: {e:?}"))?
            }
            Err(e) => bail!("generated an invalid account: {e:?}"),
        };

        // Edits since creation: none for a third of the accounts, otherwise a few changed
        // fields, the last one at `updated_at`.
        let (updated_at, changes) = if rng.gen_bool(0.35) || created_at >= self.anchor {
            (created_at, 0)
        } else {
            let room = (self.anchor - created_at).num_milliseconds() as f64;
            let b: f64 = rng.gen::<f64>().sqrt();
            let t = office_hours(created_at + Duration::milliseconds((room * b) as i64));
            let t = t.max(created_at + Duration::minutes(1));
            (t, rng.gen_range(1..=3))
        };
        let created_by = match self.people[owner].2 {
            Some(m) if rng.gen_bool(0.15) => m,
            _ => owner,
        };
        let updated_by = match self.people[owner].2 {
            Some(m) if changes > 0 && rng.gen_bool(0.2) => m,
            _ if changes > 0 => owner,
            _ => created_by,
        };
        let mut fields_changed: Vec<&'static str> = Vec::new();
        let candidates = [
            "grade",
            "phone",
            "owner_id",
            "address",
            "tags",
            "industry",
            "account_type",
        ];
        let mut when = Vec::new();
        for k in 0..changes {
            let t = if k + 1 == changes {
                updated_at
            } else {
                let span = (updated_at - created_at).num_milliseconds().max(1);
                office_hours(created_at + Duration::milliseconds(rng.gen_range(0..span)))
                    .clamp(created_at, updated_at)
            };
            when.push(t);
        }
        when.sort();
        for t in when {
            let field = loop {
                let f = *pick(rng, &candidates);
                if !fields_changed.contains(&f) {
                    break f;
                }
            };
            fields_changed.push(field);
            let new_value = fields.history_text(field);
            let new_value = if field == "owner_id" {
                Some(self.people[owner].1.clone())
            } else {
                new_value
            };
            let old_value = match field {
                "grade" => pick(rng, &[None, Some("B"), Some("C"), Some("D")]).map(String::from),
                "phone" => None,
                "owner_id" => Some(pick(rng, &self.people).1.clone()),
                "address" => Some(address(rng, firm.city, firm.english)),
                "tags" => None,
                "industry" => Some(pick(rng, INDUSTRIES).3.to_string()),
                _ => Some("other".to_string()),
            };
            if old_value == new_value {
                continue;
            }
            let by = if t == updated_at { updated_by } else { owner };
            batch.history.push(NewChange {
                id: uuid_at(rng, t),
                record_id: id,
                field,
                old_value,
                new_value,
                changed_by: self.people[by].0,
                changed_at: t,
            });
        }
        let version = 1 + changes as i64;

        for tag in fields.tags() {
            batch.tags.push((id, tag.clone()));
        }
        let name = fields.text("name").unwrap_or_default();
        let phone = fields.text("phone");
        for token in domain::search::account_tokens(&name, phone.as_deref()) {
            batch.tokens.push((id, token));
        }
        let recent = Recent {
            firm,
            id,
            name: name.clone(),
            owner,
        };
        if parent.is_none() {
            if self.roots.len() == RECENT {
                self.roots.pop_front();
            }
            // Only top-level accounts may get branches, so the tree stays two levels deep.
            self.roots.push_back(recent.clone());
        }
        if self.firms.len() == RECENT {
            self.firms.pop_front();
        }
        self.firms.push_back(recent);
        batch.accounts.push(NewAccount {
            id,
            name,
            account_type: fields.key("account_type").unwrap_or("customer"),
            industry: fields.text("industry"),
            province: fields.text("province"),
            city: fields.text("city"),
            grade: fields.key("grade"),
            phone,
            website: fields.text("website"),
            address: fields.text("address"),
            credit_code: fields.text("credit_code"),
            parent_id: parent,
            description: fields.text("description"),
            tags: fields.tags().to_vec(),
            owner_id: self.people[owner].0,
            created_at,
            created_by: self.people[created_by].0,
            updated_at,
            updated_by: self.people[updated_by].0,
            version,
        });
        Ok(())
    }
}

/// A generated account's values checked by the account spec's field types, exactly as the
/// record engine checks a form or an API body.
struct CheckedAccount {
    spec: &'static domain::objects::ObjectSpec,
    values: store::records::Values,
}

impl CheckedAccount {
    /// The values, or the keys of the fields whose value the checks refuse.
    fn check(
        texts: &[(&'static str, Option<String>)],
        tags: &[String],
    ) -> std::result::Result<CheckedAccount, Vec<&'static str>> {
        let spec = domain::objects::spec(ObjectKind::Account).ok_or_else(Vec::new)?;
        let mut values = store::records::Values::new();
        let mut bad = Vec::new();
        let given = texts
            .iter()
            .map(|(k, v)| (*k, v.iter().cloned().collect::<Vec<_>>()))
            .chain(std::iter::once(("tags", tags.to_vec())));
        for (key, raw) in given {
            let Some(field) = spec.field(key) else {
                bad.push(key);
                continue;
            };
            match field.parse(&raw) {
                Ok(Some(v)) => {
                    values.insert(key.to_string(), v);
                }
                Ok(None) => {}
                Err(_) => bad.push(key),
            }
        }
        if bad.is_empty() {
            Ok(CheckedAccount { spec, values })
        } else {
            Err(bad)
        }
    }

    fn text(&self, key: &str) -> Option<String> {
        match self.values.get(key) {
            Some(domain::fields::FieldValue::Text(s)) => Some(s.clone()),
            Some(domain::fields::FieldValue::Id(id)) => Some(id.to_string()),
            _ => None,
        }
    }

    /// A picklist's value as the spec's own (static) option key.
    fn key(&self, field: &str) -> Option<&'static str> {
        let value = self.text(field)?;
        let options = &self.spec.field(field)?.options;
        options
            .iter()
            .find(|o| o.key == value)
            .map(|o| o.key.as_str())
    }

    fn tags(&self) -> &[String] {
        match self.values.get("tags") {
            Some(domain::fields::FieldValue::Choices(tags)) => tags,
            _ => &[],
        }
    }

    /// A field's value as field history writes it (tags joined by `, `).
    fn history_text(&self, field: &str) -> Option<String> {
        match self.values.get(field) {
            Some(domain::fields::FieldValue::Choices(tags)) => Some(tags.join(", ")),
            _ => self.text(field),
        }
    }
}

// ================================================================ the run

fn elapsed(started: Instant) -> f64 {
    started.elapsed().as_secs_f64()
}

/// Fills `db` (migrated) with one generated company.
pub async fn run(db: &Db, args: &GenArgs) -> Result<Summary> {
    let started = Instant::now();
    let total = args.accounts.unwrap_or_else(|| args.tier.accounts());
    let users = args.users.unwrap_or(200);
    if users < 5 {
        bail!("--users must be at least 5");
    }
    let until = args.until.unwrap_or_else(|| Utc::now().date_naive());
    let anchor = until
        .and_hms_opt(0, 0, 0)
        .context("invalid --until date")?
        .and_utc();
    let start = anchor - Duration::days(3 * 365);

    let (domain, fresh) = {
        let mut tx = db.begin_read().await?;
        let fresh = !store::tenants::any_exists(&mut tx).await?;
        if !fresh && !args.force_new_company {
            bail!("the database already has a company; use --force-new-company to add another one (or generate into an empty database)");
        }
        let mut domain = "meridian.test".to_string();
        let mut k = 2;
        while store::org::email_taken(&mut tx, &format!("admin@{domain}")).await? {
            domain = format!("c{k}.meridian.test");
            k += 1;
        }
        (domain, fresh)
    };
    let hash = app::secrets::hash_password(PASSWORD.into())
        .await
        .map_err(|e| anyhow::anyhow!("{e}"))?;

    let mut rng = StdRng::seed_from_u64(args.seed);
    let tenant_id = Uuid::now_v7();
    let org = plan_org(&mut rng, users, &domain, start);

    // ---- the company, its roles, departments and users
    let loader = bulk::loader(db).await.context("opening the bulk loader")?;
    let mut tx = loader.begin().await?;
    store::tenants::insert(
        &mut tx,
        &store::tenants::Tenant {
            id: tenant_id,
            name: COMPANY.into(),
            default_locale: "zh-CN".into(),
            created_at: start - Duration::days(90),
        },
    )
    .await?;
    let mut role_ids = Vec::new();
    for role in default_roles() {
        let id = uuid_at(&mut rng, start - Duration::days(90));
        store::org::insert_role(
            &mut tx,
            tenant_id,
            &store::org::Role {
                id,
                key: Some(role.key.into()),
                name: role.name_zh.into(),
                permissions: store::JsonValue(role.permissions),
                version: 1,
            },
            start - Duration::days(90),
        )
        .await?;
        role_ids.push((role.key, id));
    }
    let role_id = |key: &str| {
        role_ids
            .iter()
            .find(|(k, _)| *k == key)
            .map(|(_, id)| *id)
            .context("a default role is missing")
    };
    let departments: Vec<NewDepartment> = org
        .depts
        .iter()
        .map(|d| NewDepartment {
            id: d.id,
            parent_id: d.parent.map(|p| org.depts[p].id),
            name: d.name.clone(),
            path: d.path.clone(),
            created_at: start - Duration::days(90),
        })
        .collect();
    bulk::insert_departments(&mut tx, tenant_id, &departments).await?;
    let mut new_users = Vec::new();
    for p in &org.people {
        new_users.push(NewUser {
            id: p.id,
            email: p.email.clone(),
            name: p.name.clone(),
            password_hash: hash.clone(),
            role_id: role_id(p.kind.role_key())?,
            department_id: Some(org.depts[p.dept].id),
            manager_id: p.manager.map(|m| org.people[m].id),
            manager_path: p.manager_path.clone(),
            locale: None,
            created_at: p.created_at,
        });
    }
    bulk::insert_users(&mut tx, tenant_id, &new_users).await?;
    tx.commit().await?;
    eprintln!(
        "company {COMPANY} ({tenant_id}): {} departments, {} users ({:.1} s)",
        org.depts.len(),
        org.people.len(),
        elapsed(started)
    );

    // Into a database without a company (the usual case) the tables are loaded without their
    // secondary indexes, which are built after the load; a failed run leaves a database to
    // throw away. Next to existing companies the indexes stay.
    let dropped = if fresh {
        bulk::drop_secondary_indexes(&loader, &bulk::GENERATED_TABLES).await?
    } else {
        Vec::new()
    };
    // The accounts' search tokens by account are read while deriving the other records.
    let (tokens_by_account, other_indexes): (Vec<_>, Vec<_>) = dropped
        .into_iter()
        .partition(|(name, _)| name == "account_search_account");

    // ---- accounts, made on a thread and written here
    let (sender, mut receiver) = tokio::sync::mpsc::channel::<Batch>(2);
    let mut account_gen = AccountGen::new(args.seed, total, &org, start, anchor);
    let producer = std::thread::spawn(move || -> Result<Stats> {
        let mut i = 0u64;
        while i < total {
            let n = (total - i).min(BATCH as u64);
            let mut batch = Batch {
                accounts: Vec::with_capacity(n as usize),
                tags: Vec::new(),
                tokens: Vec::with_capacity(n as usize * 12),
                history: Vec::new(),
            };
            for k in 0..n {
                account_gen.make(i + k, &mut batch)?;
            }
            i += n;
            if sender.blocking_send(batch).is_err() {
                break;
            }
        }
        Ok(account_gen.stats)
    });

    let mut tags: Vec<(Uuid, String)> = Vec::new();
    let mut tokens: Vec<(Uuid, String)> = Vec::new();
    let mut history: Vec<NewChange> = Vec::new();
    let mut written = 0u64;
    let mut next_report = total / 10;
    let load_started = Instant::now();
    let mut skipped_foreign_keys = false;
    while let Some(batch) = receiver.recv().await {
        let mut tx = loader.begin().await?;
        skipped_foreign_keys |= bulk::begin_load(&mut tx).await?;
        bulk::insert_accounts(&mut tx, tenant_id, &batch.accounts).await?;
        tags.extend(batch.tags);
        tokens.extend(batch.tokens);
        history.extend(batch.history);
        // Only full statements now (one prepared statement each); the rest goes with the next
        // batch, whose accounts are committed by then.
        let full = tags.len() / bulk::TAG_ROWS * bulk::TAG_ROWS;
        bulk::insert_account_tags(&mut tx, tenant_id, &tags[..full]).await?;
        tags.drain(..full);
        let full = tokens.len() / bulk::TOKEN_ROWS * bulk::TOKEN_ROWS;
        bulk::insert_search_tokens(&mut tx, tenant_id, &tokens[..full]).await?;
        tokens.drain(..full);
        let full = history.len() / bulk::HISTORY_ROWS * bulk::HISTORY_ROWS;
        bulk::insert_field_history(
            &mut tx,
            tenant_id,
            ObjectKind::Account.key(),
            &history[..full],
        )
        .await?;
        history.drain(..full);
        tx.commit().await?;
        written += batch.accounts.len() as u64;
        if written >= next_report || written == total {
            let secs = load_started.elapsed().as_secs_f64();
            eprintln!(
                "accounts: {written}/{total} ({:.0}%) in {secs:.1} s, {:.0}/s",
                written as f64 * 100.0 / total.max(1) as f64,
                written as f64 / secs.max(0.001)
            );
            next_report = written + total / 10;
        }
    }
    let stats = producer
        .join()
        .map_err(|_| anyhow::anyhow!("the generator thread panicked"))??;
    // In parts: one transaction of millions of rows makes SQLite's WAL huge and slow.
    for part in tags.chunks(LOAD_PART) {
        let mut tx = loader.begin().await?;
        skipped_foreign_keys |= bulk::begin_load(&mut tx).await?;
        bulk::insert_account_tags(&mut tx, tenant_id, part).await?;
        tx.commit().await?;
    }
    for part in tokens.chunks(LOAD_PART) {
        let mut tx = loader.begin().await?;
        skipped_foreign_keys |= bulk::begin_load(&mut tx).await?;
        bulk::insert_search_tokens(&mut tx, tenant_id, part).await?;
        tx.commit().await?;
    }
    for part in history.chunks(LOAD_PART) {
        let mut tx = loader.begin().await?;
        skipped_foreign_keys |= bulk::begin_load(&mut tx).await?;
        bulk::insert_field_history(&mut tx, tenant_id, ObjectKind::Account.key(), part).await?;
        tx.commit().await?;
    }
    eprintln!(
        "tags, search tokens, history: {} s since the start",
        started.elapsed().as_secs()
    );

    let index_started = Instant::now();
    let mut index_times = bulk::build_indexes(&loader, &tokens_by_account).await?;
    let mut index_seconds = elapsed(index_started);

    // ---- contacts, leads, opportunities and activities, derived in the database
    let related_started = Instant::now();
    let related = bulk::derive_related(&loader, tenant_id, anchor).await?;
    let related_seconds = elapsed(related_started);
    let steps: Vec<String> = related
        .seconds
        .iter()
        .map(|(step, secs)| format!("{step} {secs:.1} s"))
        .collect();
    eprintln!("related records by step: {}", steps.join(", "));
    let index_started = Instant::now();
    index_times.extend(bulk::build_indexes(&loader, &other_indexes).await?);
    index_seconds += elapsed(index_started);
    index_times.sort_by(|a, b| b.1.total_cmp(&a.1));
    let slowest: Vec<String> = index_times
        .iter()
        .take(8)
        .map(|(name, secs)| format!("{name} {secs:.1} s"))
        .collect();
    if !slowest.is_empty() {
        eprintln!("slowest index builds: {}", slowest.join(", "));
    }
    let mut tx = loader.begin().await?;
    let budget = budget_level_field();
    store::custom_fields::insert(&mut tx, tenant_id, ObjectKind::Contact, &budget, anchor).await?;
    tx.commit().await?;
    eprintln!(
        "related records: {} contacts, {} leads, {} opportunities, {} activities, {} search tokens in {related_seconds:.1} s; {} indexes built in {index_seconds:.1} s",
        related.contacts,
        related.leads,
        related.opportunities,
        related.activities,
        related.search_tokens,
        tokens_by_account.len() + other_indexes.len(),
    );
    if skipped_foreign_keys {
        eprintln!("checking references (the load skipped the foreign-key triggers)…");
        let mut tx = loader.begin_read().await?;
        let orphans = bulk::check_references(&mut tx, tenant_id).await?;
        if orphans > 0 {
            bail!("{orphans} generated rows reference nothing: a generator bug");
        }
    }
    eprintln!("finishing (statistics, checkpoint)…");
    bulk::finish(&loader).await?;
    loader.close().await;

    let counts = {
        let mut tx = db.begin_read().await?;
        bulk::counts(&mut tx, tenant_id).await?
    };
    Ok(Summary {
        tenant_id,
        admin_email: format!("admin@{domain}"),
        counts,
        near_duplicates: stats.near_duplicates,
        branches: stats.branches,
        seconds: elapsed(started),
    })
}

/// The custom picklist the generated contacts carry, for benchmarks of custom-field filters.
pub fn budget_level_field() -> domain::fields::FieldDef {
    let option = |key: &str, zh: &str, en: &str| domain::fields::PicklistOption {
        key: key.into(),
        label_zh: zh.into(),
        label_en: en.into(),
        active: true,
    };
    domain::fields::FieldDef {
        key: "budget_level".into(),
        label_zh: "预算级别".into(),
        label_en: "Budget level".into(),
        field_type: domain::fields::FieldType::Picklist,
        required: false,
        max_length: None,
        min: None,
        max: None,
        pattern: None,
        default_value: None,
        help_zh: None,
        help_en: None,
        options: vec![
            option("high", "高", "High"),
            option("mid", "中", "Medium"),
            option("low", "低", "Low"),
        ],
        lookup_object: None,
        column: None,
        system: false,
        indexed: false,
        searchable: false,
        money_exponent: None,
        computed: None,
        position: 100,
    }
}

/// Prints what was made and how to sign in.
pub fn print_summary(summary: &Summary, args: &GenArgs) {
    let c = &summary.counts;
    println!(
        "generated {} accounts ({} near-duplicates, {} branches), {} tags, {} search tokens, {} field changes; {} users in {} departments",
        c.accounts,
        summary.near_duplicates,
        summary.branches,
        c.account_tags,
        c.account_search,
        c.field_history,
        c.users,
        c.departments
    );
    println!(
        "tier {:?}, seed {}, in {:.1} s",
        args.tier, args.seed, summary.seconds
    );
    let domain = summary
        .admin_email
        .split_once('@')
        .map(|(_, d)| d)
        .unwrap_or("meridian.test");
    println!("company {COMPANY} ({})", summary.tenant_id);
    println!("sign in with password {PASSWORD:?} as:");
    println!("  administrator   {}", summary.admin_email);
    println!("  sales directors director1@{domain} … director3@{domain}");
    println!("  sales managers  manager01@{domain} …");
    println!("  sales reps      rep001@{domain} …");
}
