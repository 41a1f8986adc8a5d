//! Provincial-level divisions of China, for the region picklist. Codes are the GB/T 2260 ones.

pub struct Province {
    pub code: &'static str,
    pub name_zh: &'static str,
    pub name_en: &'static str,
}

macro_rules! provinces {
    ($(($code:literal, $zh:literal, $en:literal)),* $(,)?) => {
        pub const PROVINCES: &[Province] = &[$(Province { code: $code, name_zh: $zh, name_en: $en }),*];
    };
}

provinces![
    ("11", "北京", "Beijing"),
    ("12", "天津", "Tianjin"),
    ("13", "河北", "Hebei"),
    ("14", "山西", "Shanxi"),
    ("15", "内蒙古", "Inner Mongolia"),
    ("21", "辽宁", "Liaoning"),
    ("22", "吉林", "Jilin"),
    ("23", "黑龙江", "Heilongjiang"),
    ("31", "上海", "Shanghai"),
    ("32", "江苏", "Jiangsu"),
    ("33", "浙江", "Zhejiang"),
    ("34", "安徽", "Anhui"),
    ("35", "福建", "Fujian"),
    ("36", "江西", "Jiangxi"),
    ("37", "山东", "Shandong"),
    ("41", "河南", "Henan"),
    ("42", "湖北", "Hubei"),
    ("43", "湖南", "Hunan"),
    ("44", "广东", "Guangdong"),
    ("45", "广西", "Guangxi"),
    ("46", "海南", "Hainan"),
    ("50", "重庆", "Chongqing"),
    ("51", "四川", "Sichuan"),
    ("52", "贵州", "Guizhou"),
    ("53", "云南", "Yunnan"),
    ("54", "西藏", "Tibet"),
    ("61", "陕西", "Shaanxi"),
    ("62", "甘肃", "Gansu"),
    ("63", "青海", "Qinghai"),
    ("64", "宁夏", "Ningxia"),
    ("65", "新疆", "Xinjiang"),
    ("71", "台湾", "Taiwan"),
    ("81", "香港", "Hong Kong"),
    ("82", "澳门", "Macao"),
];

pub fn province(code: &str) -> Option<&'static Province> {
    PROVINCES.iter().find(|p| p.code == code)
}

#[cfg(test)]
mod tests {
    #[test]
    fn codes_are_unique() {
        let mut codes: Vec<_> = super::PROVINCES.iter().map(|p| p.code).collect();
        codes.sort();
        codes.dedup();
        assert_eq!(codes.len(), 34);
        assert_eq!(super::province("44").unwrap().name_zh, "广东");
    }
}
