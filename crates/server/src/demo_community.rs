//! The demo's 临灵通 content, so no scene is empty: news of the street (大美临江) from the
//! source's own stories, service guides (工具箱) with documents, hours and phones, coming public
//! activities (tea stall talks, the women's workshop, anti-fraud talks, the charity market)
//! with sign-ups, and neighbours' asks and offers (邻里互助) with places, times and answers.

use chrono::Duration;
use domain::Timestamp;
use store::community::{Activity, Article};
use store::Store;

const NEWS: &[(&str, &str)] = &[
    ("“临距离”网格议事：两年解决群众身边问题59件", "临江街道各村社每月固定一天开展网格议事，居民提议题、议事会讨论、决议跟踪到底。原职工活动中心改造为邻里空间、电动车集中充电棚、村口道路排水改造等一批实事落地。决议办理进度在“议事公示栏”随时可查。"),
    ("传化公路港调解工作室：377起纠纷当场化解", "工作室设在公路港物流园区内，货车司机、物流企业之间的运费、货损纠纷就近调解。成立以来调解成功377件，当场兑付金额453.87万元。"),
    ("“反诈妈妈团”走进菜市场，守好老人钱袋子", "社区反诈妈妈团每周在农贸市场摆摊宣传，用方言讲解冒充客服、刷单返利等常见骗局，并入户帮助老人安装国家反诈中心APP。"),
    ("临家茶摊开张：家门口说事、解事", "临家阿姨服务队每周二下午在党群服务中心门口摆起茶摊，邻里有烦心事可以坐下来聊一聊，能当场解决的当场解决，解决不了的由网格员带回办理。"),
    ("智慧燃气报警器进餐饮店和居民家中", "街道为餐饮单位和独居老人家庭安装燃气泄漏报警器，报警信息直接推送指挥中心，网格员和综管队员第一时间上门处置。"),
    ("联勤警务站公开承诺：1分钟受理、10分钟到场", "指挥中心和五个联勤警务站共享一张图，每件事都有承诺：1分钟受理，3分钟派单并联系当事人，10分钟到场，1小时首次反馈，24小时办结。"),
    ("妇女微家开设插花、手工课", "村（社区）妇联依托“妇女微家”开设插花、编织、烘焙等课程，报名请在临灵通“活动”中查看。"),
    ("公益集市：旧物换新、爱心义卖", "每月最后一个周六上午，公益集市在公路港社区广场举行，义卖所得用于困难家庭帮扶。"),
];

/// (title, body, documents, office hours, phone)
const GUIDES: &[(&str, &str, &str, &str, &str)] = &[
    (
        "居住证办理",
        "在临江街道居住满半年、有合法稳定住所或就业的新临江人，可申领居住证。",
        "身份证、租房合同或房产证明、近期免冠照片",
        "工作日 8:30–12:00，13:30–17:00",
        "057182001001",
    ),
    (
        "新生儿医保参保",
        "新生儿出生后3个月内参保，自出生之日起享受医保待遇。",
        "出生医学证明、户口簿、监护人身份证",
        "工作日 8:30–17:00",
        "057182001002",
    ),
    (
        "灵活就业人员社保缴费",
        "无雇工的个体工商户、灵活就业人员可按月缴纳养老、医疗保险。",
        "身份证、银行卡",
        "工作日 8:30–17:00",
        "057182001003",
    ),
    (
        "老年优待证办理",
        "年满60周岁的老人可办理优待证，乘坐公交、游览公园享受优惠。",
        "身份证、一寸照片",
        "工作日 9:00–16:30",
        "057182001004",
    ),
    (
        "残疾人两项补贴申请",
        "困难残疾人生活补贴和重度残疾人护理补贴，在村（社区）提交申请。",
        "残疾人证、身份证、户口簿、银行卡",
        "工作日 8:30–17:00",
        "057182001005",
    ),
    (
        "电动自行车上牌",
        "新购电动自行车须登记上牌后上路。",
        "购车发票、合格证、身份证",
        "周一至周六 9:00–17:00",
        "057182001006",
    ),
    (
        "出租房屋登记",
        "房东出租房屋应在租客入住后3日内登记租客信息。",
        "房产证明、租赁合同、租客身份证",
        "工作日 8:30–17:00",
        "057182001007",
    ),
    (
        "燃气报警器报修",
        "燃气报警器鸣响或显示故障，请立即开窗、关阀，不要开关电器，拨打燃气公司24小时电话。",
        "",
        "24小时",
        "057182008800",
    ),
    (
        "法律援助申请",
        "经济困难或特殊案件当事人可申请免费法律援助。",
        "身份证、经济困难证明、案件材料",
        "工作日 9:00–17:00",
        "057182001009",
    ),
    (
        "食品经营许可咨询",
        "开办餐饮店、食品店前，可到市场监管所咨询许可条件和流程。",
        "身份证、营业执照、经营场所证明",
        "工作日 8:30–17:00",
        "057182001010",
    ),
];

/// (title, body, place, days ahead, hour, capacity)
const ACTIVITIES: &[(&str, &str, &str, i64, u32, i64)] = &[
    ("妇女微课堂：插花", "由妇联老师带领，每人带一束花回家。材料免费。", "临江社区妇女微家", 2, 14, 20),
    (
        "反诈知识讲座",
        "派出所民警讲解最新诈骗手法，现场帮助安装国家反诈中心APP。",
        "高新社区党群服务中心二楼",
        3,
        19,
        60,
    ),
    ("公益集市", "旧物换新、手工义卖、免费理发和量血压。", "公路港社区广场", 5, 9, 200),
    ("亲子阅读会", "3–8岁儿童和家长一起读绘本。", "港城社区图书室", 6, 10, 25),
    ("老年人智能手机课", "教您用手机挂号、缴费、视频通话，志愿者一对一辅导。", "临江社区老年活动室", 8, 9, 30),
    ("义诊进社区", "社区卫生服务中心医生量血压、测血糖、健康咨询。", "新围村文化礼堂", 10, 8, 100),
];

/// (kind, topic, title, body, place, hours ahead of now or none)
const POSTS: &[(&str, &str, &str, &str, &str, Option<i64>)] = &[
    (
        "ask",
        "pickup",
        "周三下午帮忙接孩子放学",
        "孩子在临江小学二年级，我周三加班，4点放学，接回临江花园就行。",
        "临江花园3幢",
        Some(50),
    ),
    (
        "offer",
        "repair",
        "会修水电，邻居有需要找我",
        "退休电工，换灯泡、修水龙头、通下水道都行，不收钱。",
        "新围村5组",
        None,
    ),
    (
        "ask",
        "care",
        "老人住院，想请人陪护两晚",
        "母亲做了小手术，周末两晚需要人陪，可以付护工费。",
        "区第一人民医院",
        Some(72),
    ),
    (
        "offer",
        "tutoring",
        "退休教师，周末免费辅导初中数学",
        "周六上午在社区图书室，带上作业来就行。",
        "港城社区图书室",
        None,
    ),
    ("ask", "shopping", "腿脚不便，请帮忙代买菜", "每周一、四早上帮买点蔬菜和鸡蛋，钱我先给。", "协谊村8组", Some(20)),
    ("offer", "pickup", "每天开车去公路港上班，可以顺路捎人", "早上7点半出发，晚上6点回来。", "江东村路口", None),
    (
        "ask",
        "repair",
        "楼道声控灯坏了，谁会修",
        "3单元二楼到五楼的灯都不亮，晚上上下楼很危险。",
        "临江花园5幢3单元",
        None,
    ),
    ("offer", "care", "可以帮忙照看老人半天", "我白天在家，住在附近的老人需要有人看一下可以找我。", "高新社区", None),
    ("ask", "tutoring", "找人教老人用手机视频", "想和在外地的孙子视频，不会操作。", "益农村", Some(30)),
    ("offer", "other", "家里有闲置婴儿车、儿童座椅免费送", "九成新，自取。", "公路港社区", None),
];

/// Loads the content; `residents` are resident accounts (authors, sign-ups, answers), `staff`
/// the account that publishes.
pub async fn load(store: &Store, residents: &[i64], staff: i64, now: Timestamp) -> anyhow::Result<()> {
    for (i, (title, body)) in NEWS.iter().enumerate() {
        let at = now - Duration::days(3 + 9 * i as i64);
        let a = article("news", title, body, "", "", "", staff, at);
        store.save_article(None, &a, "demo", at).await?;
    }
    for (i, (title, body, docs, hours, phone)) in GUIDES.iter().enumerate() {
        let at = now - Duration::days(40 + i as i64);
        let a = article("guide", title, body, docs, hours, phone, staff, at);
        store.save_article(None, &a, "demo", at).await?;
    }
    let today = (now + Duration::hours(8)).date_naive();
    for (i, (title, body, place, days, hour, capacity)) in ACTIVITIES.iter().enumerate() {
        let starts_at = crate::api::deliberation::beijing(today + Duration::days(*days), (*hour * 60) as u16);
        let a = Activity::public(
            (*title).into(),
            (*body).into(),
            (*place).into(),
            starts_at,
            *capacity,
            format!("demo-activity-{i}"),
        );
        let id = store.create_activity(&a, staff, "demo", now - Duration::days(7)).await?;
        // Some places taken; the small ones nearly full.
        let taken = (*capacity as usize * (3 + i % 4) / 8).min(residents.len());
        for (k, u) in residents.iter().skip(i * 7).take(taken).enumerate() {
            store.sign_up(id, *u, "demo", now - Duration::days(6) + Duration::minutes(k as i64 * 17)).await?;
        }
    }
    for (i, (kind, topic, title, body, place, ahead)) in POSTS.iter().enumerate() {
        let author = residents[(i * 13 + 5) % residents.len()];
        let at = now - Duration::hours(6 + 11 * i as i64);
        let needed = ahead.map(|h| now + Duration::hours(h));
        let id = store.create_post(kind, topic, title, body, place, needed, author, at).await?;
        for k in 0..(i % 3) {
            let who = residents[(i * 13 + 40 + k * 9) % residents.len()];
            let user = store.user(who).await?;
            let note = ["我可以帮忙，下午都在家，电话联系我。", "我住得近，需要的话在群里喊我。"][k % 2];
            let notice = store::writer::OutboxMessage {
                dedupe_key: "respond".into(),
                channel: "web".into(),
                recipient_user: Some(author),
                recipient_phone: None,
                subject: format!("邻里互助：{} 回应了您的“{}”", user.display_name, title),
                body: format!("{}：{note}", user.display_name),
            };
            store.respond_to_post(id, who, note, &notice, "demo", at + Duration::hours(1 + k as i64)).await?;
        }
    }
    Ok(())
}

#[allow(clippy::too_many_arguments)]
fn article(
    kind: &str,
    title: &str,
    body: &str,
    docs: &str,
    hours: &str,
    phone: &str,
    author: i64,
    at: Timestamp,
) -> Article {
    Article {
        id: 0,
        kind: kind.into(),
        title: title.into(),
        body: body.into(),
        documents: docs.into(),
        office_hours: hours.into(),
        phone: phone.into(),
        author,
        created_at: at,
        updated_at: at,
        image_id: None,
        published: true,
    }
}
