// civicgrid shared page code: sign-in state, API calls, the language switch, navigation,
// labels and the live stream. Pages are in Simplified Chinese unless English is chosen.
"use strict";
const CG = (() => {
  const zh = {
    brand: "临江街道社会治理指挥平台", one_core: "一核五联", login: "登录", username: "用户名", password: "密码", signin: "登录",
    logout: "退出", screen: "大屏", console: "指挥调度", field: "移动处置", lang: "English",
    login_failed: "用户名或密码错误", resident_app_soon: "居民请使用临灵通。", actor_resident: "居民", actor_anonymous: "匿名", actor_runner: "系统督办", actor_auto: "系统派单",
    my_password: "修改我的密码", current_password: "当前密码", new_password: "新密码", password_hint: "至少10位（管理员、值班员、领导至少12位）。请用几个不相关的词组成，不要用生日、电话号码或常见组合。",
    password_changed: "密码已修改，其他设备上的登录已退出。", weak_password: "密码太容易被猜到：请至少10位（管理员、值班员、领导12位），用几个不相关的词组成。", wrong_password: "当前密码不对。", conflict: "不能停用自己的账号。",
    accounts: "账号管理", name: "姓名", username: "用户名", role: "角色", state: "状态", enabled: "正常", disabled: "已停用", enable: "启用", disable: "停用", revoke: "退出所有登录", set_password: "重设密码", password_set: "密码已重设，该账号需重新登录。", signed_out: "该账号已在所有设备上退出。",
    r_admin: "系统管理员", r_dispatcher: "指挥中心值班员", r_leader: "街道领导", r_station_officer: "警务站站长", r_grid_worker: "网格员", r_patrol_member: "综管队员", r_enterprise_security: "企业安保", r_mediator: "调解员", r_petition_officer: "信访干部", r_volunteer: "志愿者", r_resident: "居民",
    new: "待受理", accepted: "已受理", dispatched: "已派单", on_site: "已到场", in_progress: "处置中", suspended: "挂账",
    closed: "已办结", rated: "已评价", archived: "已归档", rejected: "不予受理", voided: "已作废",
    p_accept: "1分钟受理", p_dispatch: "3分钟派单联系", p_on_site: "10分钟到场", p_first_feedback: "1小时反馈", p_close: "24小时办结",
    urgent: "紧急", high: "较急", normal: "一般", low: "较缓",
    resident_app: "临灵通", hotline: "12345热线", police_110: "110转警", grid_patrol: "网格巡查", sensor: "物联感知", petition: "信访", volunteer: "志愿者", walk_in: "来访", open311: "平台对接",
    police: "民警", grid_worker: "网格员", patrol_member: "综管队员", enterprise_security: "企业安保", traffic_police: "交警", city_management: "城管", gas_company: "燃气公司", market_regulator: "市场监管", mediator: "调解员",
    available: "空闲", en_route: "在途", busy: "忙碌", off_duty: "下班",
    a_create: "上报", a_accept: "受理", a_dispatch: "派单", a_contact_party: "联系当事人", a_arrive: "到场", a_feedback: "反馈", a_close: "办结",
    a_reject: "退单", a_reassign: "改派", a_suspend: "挂账", a_resume: "恢复", a_void: "作废", a_reopen: "返工", a_rate: "评价", a_archive: "归档",
    a_warn: "预警", a_escalate: "超时督办", a_extend: "延期", a_take: "接单", a_decline: "拒单/超时未接",
    overdue: "超时", left: "剩余", kept: "已完成", all: "全部", search: "查询", case_no: "案件号",
    status: "状态", station: "站点", category: "类别", source: "来源", since: "起始日期", priority: "紧急程度",
    moveups: "前置备勤建议", grids_covered: "个网格进入10分钟覆盖", all_covered: "各网格均在10分钟覆盖内",
    queue: "案件队列", detail: "案件详情", escalations: "督办提醒", timeline: "全程留痕", recommendations: "推荐处置力量",
    dispatch_selected: "派出所选人员", note: "说明", reason_required: "请填写原因或说明", nothing_selected: "请选择案件",
    grid: "网格", location: "位置", reporter: "报告人", created: "上报时间", deadlines: "承诺时限",
    deliberation: "网格议事", volunteers: "志愿服务",
    my_tasks: "我的任务", patrol_report: "巡查上报", take: "接单", decline: "退单", navigate: "导航", arrive: "到场",
    feedback: "反馈", close: "办结", photos: "照片", share_position: "共享位置", on_duty: "在岗", use_location: "使用当前位置",
    submit: "提交", description: "问题描述", no_tasks: "暂无任务", sent: "已提交", locating: "定位中…",
    today_rates: "今日承诺履约率", today_counts: "今日案件", total: "总数", open: "在办", urgent_count: "紧急",
    by_source: "来源分布", alarms: "超时督办", trend: "近30天趋势（同比）", this_year: "今年", last_year: "去年同期",
    top_categories: "类别排行", map: "网格与力量分布", centre: "指挥中心", responders: "处置力量",
    eta: "预计到场", minutes: "分钟", soon: "即将超时", content: "内容管理", publish: "发布资讯与办事指南", kind: "栏目", title: "标题", body: "正文",
    documents: "所需材料", office_hours: "办公时间", contact: "联系电话", new_activity: "发布活动", place: "地点", starts_at: "开始时间", places: "名额", moderation: "邻里互助举报审核", extend_by: "延期", loading: "加载中…", new_case_alert: "新案件", acknowledge: "知道了", handed_over: "未接单，已自动改派", nobody_free: "无人接单，请人工派单", taken_en_route: "已接单·前往现场", take_within: "接单剩余",
    gas: "智慧燃气", gs_search: "搜索编号、地址或用户", gs_open_alarms: "待处理报警", gs_detail: "设备详情", gs_nothing: "请选择报警或设备", gs_devices: "台设备", gs_online: "在线", gs_all: "全部",
    gs_back_normal: "已恢复正常", gs_peak: "峰值", gs_case: "案件", gs_ack: "确认", gs_no_alarms: "暂无待处理报警", gs_seen: "最近上报", gs_bad: "无法解析的上报", gs_none: "没有符合条件的设备",
    gs_owner: "用户", gs_device: "设备", gs_valve: "联动切断阀", gs_installed: "安装日期", gs_life_until: "使用年限至", gs_last: "最近上报", gs_battery: "电量", gs_messages: "条上报", gs_message: "条上报", gs_alarms: "报警记录",
    gs_readings: "浓度记录", gs_time: "时间", gs_level_h: "报警级别", gs_muted: "已消音", gs_what_done: "处置情况（必填）", gs_clear: "解除报警", gs_no_history: "暂无报警记录", gs_my_gas: "我的燃气报警器", gs_my_none: "您名下暂无登记的燃气报警器",
    gst_alarm: "燃气报警", gst_offline: "离线", gst_fault: "故障", gst_tamper: "防拆报警", gst_end_of_life: "超期服役", gst_low_battery: "电量低", gst_never_seen: "未上线", gst_normal: "正常",
    gk_gas: "燃气泄漏", gk_fault: "设备故障", gk_tamper: "防拆报警", gk_low_battery: "电量低", gk_offline: "设备离线", gk_end_of_life: "超期服役",
    gas_state_active: "未确认", gas_state_acknowledged: "已确认", gas_state_cleared: "已解除", gd_kind_household: "家用", gd_kind_business: "商用",
    gsa_raise: "报警", gsa_update: "级别变化", gsa_acknowledge: "确认", gsa_clear: "解除", gsa_link_case: "生成案件", gsa_warn: "即将超时", gsa_escalate: "超时督办",
    gsd_acknowledge: "确认报警", gsd_resolve: "排除隐患", gsd_open_case: "生成紧急案件", scr_gas: "智慧燃气", scr_stations: "各联勤警务站", scr_on_duty: "在岗", scr_free: "空闲", scr_open: "在办", scr_overdue: "超时", scr_today_on_site: "今日及时到场", scr_today_close: "今日按期办结", scr_so_far: "今日截至此刻 {n} 件，去年同日同时段 {m} 件", scr_gas_leaks: "燃气泄漏", gs_by_device: "探测器", export_csv: "导出CSV", yoy_title: "今年以来同比", yoy_police_calls: "110警情", yoy_public_security: "刑事治安警情", yoy_demand_petitions: "求决类信访", same_time_last_year: "去年同日同时段", export_xlsx: "导出Excel", monthly_report: "本月月报", gs_by_platform: "平台", gs_level_n: "{n}级",
    petitions: "信访工作台", cancel: "取消", pt_list: "信访事项", pt_register: "登记信访", pt_detail: "信访详情", pt_nothing: "请选择信访事项", pt_channel: "来信来访方式", pt_class: "类别", pt_topic: "主题", pt_matter: "反映事项", pt_demand: "诉求", pt_address: "地址", pt_people: "信访人（每行一人：姓名 电话；代表人在行首加 *）",
    pt_overdue_by: "已超期", pt_left: "剩余", pt_open: "在办", pt_items: "件", pt_item: "件", pt_first: "前", pt_overdue_items: "件超期", pt_no: "信访 #", pt_escalated: "督办", pt_repeat: "重复信访", pt_leader_owned: "领导包案", pt_and: "等", pt_people_n: "人", pt_none: "没有符合条件的信访事项",
    ps_registered: "已登记", ps_assigned: "已交办", ps_accepted: "已受理", ps_refused: "不予受理", ps_replied: "已答复", ps_under_review: "复查中", ps_reviewed: "已复查", ps_under_re_review: "复核中", ps_re_reviewed: "已复核", ps_closed: "已办结",
    pc_letter: "来信", pc_visit: "来访", pc_phone: "来电", pc_online: "网上信访", pc_resident_app: "临灵通", pc_escalated: "案件转信访",
    pk_demand: "求决类", pk_complaint: "投诉类", pk_suggestion: "建议类",
    pt_t_drainage: "排水涵洞", pt_t_wages: "欠薪欠款", pt_t_housing: "住房物业", pt_t_land: "征地拆迁", pt_t_environment: "环境卫生", pt_t_noise: "噪声扰民", pt_t_traffic: "交通出行", pt_t_food: "食品安全", pt_t_livelihood: "民生其他",
    pa_register: "登记", pa_assign: "交办", pa_accept: "受理", pa_refuse: "不予受理", pa_extend: "延期", pa_reply: "书面答复", pa_commit: "登记承诺事项", pa_link_case: "关联案件", pa_keep_commitment: "承诺事项完成", pa_schedule_follow_up: "安排回访", pa_record_follow_up: "回访", pa_request_review: "申请复查/复核", pa_decide_review: "复查/复核决定", pa_rate: "评价", pa_take_ownership: "领导包案", pa_close: "办结", pa_warn: "临期提醒", pa_escalate: "超期督办",
    pt_level: "级", pt_lvl: "督办{n}级", pd_paused: "暂停", pd_dropped: "不再需要", pt_due: "期限", pt_keep: "标记完成", pt_files: "来信扫描件与照片", pt_add_scan: "上传扫描件/照片", pt_no_files: "暂无", pt_case: "案件", pt_spawn: "转案件派单", pf_reply: "答复后回访", pf_commitment: "承诺到期回访", pf_dissatisfied: "不满意回访", pf_officer: "经办人安排", ph_visit: "上门", ph_phone: "电话", ph_wechat: "微信", pt_record_visit: "记录回访",
    pt_after_re_review: "已复核终结，同一事实理由不再受理", pt_repeat_of: "重复：", pt_petitioners: "信访人", pt_rep: "代表", pt_unmask: "查看完整信息（留痕）", pt_registered: "登记时间", pt_body: "责任单位", pt_extended: "延期", pt_days: "天", pt_extend_days: "延期天数", pt_route: "其他途径", pt_reply: "答复意见", pt_rating: "评价",
    sat_satisfied: "满意", sat_basically_satisfied: "基本满意", sat_dissatisfied: "不满意", pt_clock: "法定时限", pt_step: "环节", pt_owner: "责任人", pt_commitments: "承诺事项", pt_follow_ups: "回访", pt_next: "下一步", pt_unmasked_logged: "本次查看已留痕",
    pt_said: "信访人意见", pt_how: "回访方式", pt_officer: "经办人", pt_reason: "原因", pt_approver: "审批领导", pt_commitment: "承诺事项", pt_decision: "复查/复核意见", pt_nothing_to_do: "当前无需操作",
    my_petitions: "我的信访", pt_officer_contact: "经办人", pt_reply_due: "答复期限", pt_rate_it: "请评价办理结果", pt_why: "如不满意，请说明原因", pt_thanks: "感谢您的评价", pq_title: "信访查询", pq_code: "短信中的查询码", pq_go: "查询",
    mediation: "调解工作室", to_mediation: "转入调解工作室", md_list: "调解案件", md_register: "登记纠纷", md_detail: "调解详情", md_nothing: "请选择调解案件", md_kind: "纠纷类型", md_summary: "纠纷概要", md_respondent: "被申请人（单位或个人）", md_item: "事项", md_claimants_csv: "申请人名单（每行：姓名,金额,电话；可从表格粘贴）",
    ms_registered: "已登记", ms_in_session: "调解中", ms_agreed: "已达成协议", ms_performed: "已履行", ms_failed: "调解不成",
    mo_case: "案件转入", mo_walk_in: "来访", mo_court: "法院委派", mo_police: "公安移交", mo_petition_office: "信访转办",
    mk_wages: "劳资纠纷", mk_freight: "运费纠纷", mk_neighbours: "邻里纠纷", mk_consumer: "消费纠纷", mk_family: "婚姻家庭", mk_traffic: "交通事故", mk_property: "物业纠纷", mk_other: "其他",
    mf_withdrawn: "当事人撤回", mf_no_agreement: "未达成协议", mf_unreachable: "无法联系对方", mf_referred: "引导诉讼/仲裁",
    ma_register: "登记", ma_add_parties: "添加当事人", ma_session: "记录调解", ma_extend: "延长期限", ma_agree: "达成协议", ma_confirm: "当事人确认", ma_mediator_confirm: "调解员签名", ma_pay: "款项到账", ma_fail: "调解不成", ma_record_follow_up: "回访", ma_apply_judicial: "申请司法确认", ma_judicial_decision: "司法确认结果", ma_warn: "临期提醒", ma_escalate: "超期督办",
    md_today: "今日调解", md_none_today: "今日无调解安排", md_items: "件", md_item: "件", md_no: "调解 #", md_parties_n: "方当事人", md_claimed: "请求", md_agreed: "协议", md_none: "没有符合条件的调解案件", md_claimant: "申请人", md_respondent_s: "被申请人", md_org: "单位",
    md_confirmed: "已确认", md_sign: "签名确认", md_sms: "短信确认", md_paid: "已付", md_mark_paid: "标记到账", md_money: "金额", md_on_spot: "当场支付", md_paid_later: "分期已付", md_overdue_money: "逾期未付", md_judicial: "司法确认", md_applied: "已申请", md_court_confirmed: "法院已确认", md_court_refused: "法院不予确认", md_apply_by: "申请截止",
    md_parties: "当事人", md_claims: "请求事项", md_sessions: "调解记录", md_no_sessions: "尚未调解", md_agreement: "调解协议", md_in_effect: "已生效", md_print: "打印协议书", md_facts: "事实：", md_responsibility: "责任：", md_terms: "协议内容：", md_payer_payee: "付款方 → 收款方", md_amount: "金额", md_instalments: "分期", md_mediator_sign: "调解员签名确认",
    md_record: "调解笔录", md_offer: "报价", md_payer: "付款方", md_each: "每位申请人", md_rest_by: "余款期限", md_consent: "当事人同意延期的方式", md_court: "法院", food: "智慧食安", fd_register: "经营主体", fd_search: "搜索名称", fd_draw: "双随机抽查", fd_draw_n: "抽取家数", fd_draw_go: "抽取", fd_detail: "主体详情", fd_nothing: "请选择经营主体", fd_days: "天", fd_no_grade: "暂无等级",
    ff_good: "良好", ff_fair: "一般", ff_poor: "较差", fk_restaurant: "餐馆", fk_canteen: "单位食堂", fk_shop: "食品销售", fk_stall: "摊贩", fk_central_kitchen: "中央厨房", fk_other: "其他",
    fd_items: "家", fd_due_items: "家待检查", fd_overdue_hazards: "项隐患逾期", fd_risk: "风险", fd_next: "下次检查", fd_hazards: "待整改隐患", fd_none: "没有符合条件的经营主体", fd_person: "负责人", fd_last: "上次检查",
    fd_key: "重点项", fd_after_photo: "上传整改后照片并确认", fd_inspect: "现场检查", ft_inspection: "检查", ft_rectified: "整改", ft_complaint: "投诉", ft_escalate: "督办", ft_register: "登记", ft_warn: "提醒",
    fo_compliant: "符合", fo_basically_compliant: "基本符合", fo_non_compliant: "不符合", fd_failed_items: "项不合格", fd_key_failed: "含重点项", fd_pass: "合格", fd_fail: "不合格", fd_note: "问题说明", fd_photo: "拍照",
    fd_self_check: "企业自查（不计入评级）", fd_submit: "提交检查结果", fd_seed: "随机种子", fd_hazards_late: "隐患逾期", my_food: "食安查询", fd_public_hint: "输入店名查询量化分级和最近检查日期", md_clock: "办理时限", md_paper: "纸质签字", md_code_prompt: "请输入{name}收到的短信确认码", md_judicial_form: "打印司法确认申请书", md_files: "照片与签名", md_add_photo: "上传本次调解照片/材料", md_sign_title: "当事人签名", md_sign_save: "确认签名", md_sign_clear: "重写", md_sign_first: "请先签名",
    stats: "统计分析", whatif: "调度推演", st_period: "统计周期", st_day: "日", st_week: "周", st_month: "月", st_quarter: "季度", st_year: "年", st_custom: "自定义", st_date: "日期", st_from: "起", st_to: "止", st_compare: "对比", st_yoy: "同比（去年同期）", st_pop: "环比（上一周期）", st_none: "不对比", st_by: "分项", st_measure: "图表指标", st_indicators: "考核指标", st_ranking: "按期结案率排名", st_close: "关闭",
    st_by_grid: "网格", st_by_community: "村社", st_by_station: "站点", st_by_category: "类别", st_by_source: "来源渠道", st_by_priority: "紧急程度", st_by_force: "处置力量", st_by_responder: "处置人员", st_by_hour: "时段", st_by_weekday: "星期",
    st_m_count: "案件数", st_m_close_rate: "按期结案率", st_m_on_site_rate: "及时到场率", st_m_satisfaction_rate: "满意率", st_m_urgent: "紧急案件", st_m_reopened: "返工",
    st_col_name: "名称", st_col_count: "案件数", st_col_change: "变化", st_col_open: "在办", st_col_closed: "已办结", st_col_close_rate: "按期结案率", st_col_missed: "超期", st_col_on_site: "及时到场率", st_col_sat: "满意率", st_col_reopened: "返工", st_total: "合计",
    st_scope: "统计口径：{from} 至 {to} 上报的案件，{asof} 时的状态。", st_scope_cmp: "对比期：{from} 至 {to}（同样长的时段）。", st_under_way: "本期尚未结束，对比期取同样长的时段。", st_overlap: "一件案件派了两支力量（或两人）时在两组各计一次，合计只计一次。",
    st_left_susp: "挂账（暂停计时）未计入：", st_extended: "经批准延期、按新期限计：", st_best: "最好", st_worst: "最差", st_rank_min: "（本期办结期限已到的案件不少于{n}件才参与排名）", st_no_rank: "本期没有足够案件参与排名", st_none_rows: "本期没有案件",
    st_cases_behind: "{label} · {what}", st_cases_n: "共{n}件，显示最新{k}件，点击打开案件", st_pp: "个百分点", st_prev: "对比期", st_this: "本期", st_n_of: "{n}/{d}", st_no_data: "无数据", st_open_console: "在指挥调度中打开",
    st_what_all: "全部案件", st_what_open: "在办案件", st_what_closed: "已办结案件", st_what_close_missed: "超期未办结或逾期办结", st_what_reopened: "返工案件", st_what_unsatisfied: "不满意的案件", st_what_on_site_missed: "未按时到场",
  };
  const en = {
    brand: "Linjiang Street Command Platform", one_core: "One centre, five stations", login: "Sign in", username: "Username", password: "Password", signin: "Sign in",
    logout: "Sign out", screen: "Screen", console: "Console", field: "Field", lang: "中文",
    login_failed: "Wrong username or password", resident_app_soon: "Residents use the 临灵通 app.", actor_resident: "Resident", actor_anonymous: "Anonymous", actor_runner: "Deadline supervision", actor_auto: "Automatic dispatch",
    my_password: "Change my password", current_password: "Current password", new_password: "New password", password_hint: "At least 10 characters (12 for administrators, dispatchers and leaders). Use a few unrelated words; no birthdays, phone numbers or common patterns.",
    password_changed: "Password changed; other devices were signed out.", weak_password: "That password is too easy to guess: use at least 10 characters (12 for administrators, dispatchers and leaders) made of unrelated words.", wrong_password: "The current password is wrong.", conflict: "You cannot disable your own account.",
    accounts: "Accounts", name: "Name", username: "Username", role: "Role", state: "State", enabled: "Active", disabled: "Disabled", enable: "Enable", disable: "Disable", revoke: "Sign out everywhere", set_password: "Set password", password_set: "Password set; the account must sign in again.", signed_out: "The account was signed out on every device.",
    r_admin: "Administrator", r_dispatcher: "Dispatcher", r_leader: "Street leader", r_station_officer: "Station head", r_grid_worker: "Grid worker", r_patrol_member: "Patrol member", r_enterprise_security: "Enterprise security", r_mediator: "Mediator", r_petition_officer: "Petition officer", r_volunteer: "Volunteer", r_resident: "Resident",
    new: "New", accepted: "Accepted", dispatched: "Dispatched", on_site: "On site", in_progress: "In progress", suspended: "Suspended",
    closed: "Closed", rated: "Rated", archived: "Archived", rejected: "Rejected", voided: "Voided",
    p_accept: "Accept 1 min", p_dispatch: "Dispatch 3 min", p_on_site: "On site 10 min", p_first_feedback: "Feedback 1 h", p_close: "Close 24 h",
    urgent: "Urgent", high: "High", normal: "Normal", low: "Low",
    resident_app: "Resident app", hotline: "12345 hotline", police_110: "110 transfer", grid_patrol: "Grid patrol", sensor: "Sensor", petition: "Petition", volunteer: "Volunteer", walk_in: "Walk-in", open311: "Open311",
    police: "Police", grid_worker: "Grid worker", patrol_member: "Patrol", enterprise_security: "Enterprise security", traffic_police: "Traffic police", city_management: "City management", gas_company: "Gas company", market_regulator: "Market regulator", mediator: "Mediator",
    available: "Available", en_route: "En route", busy: "Busy", off_duty: "Off duty",
    a_create: "Reported", a_accept: "Accept", a_dispatch: "Dispatch", a_contact_party: "Contact party", a_arrive: "Arrive", a_feedback: "Feedback", a_close: "Close",
    a_reject: "Return", a_reassign: "Reassign", a_suspend: "Suspend", a_resume: "Resume", a_void: "Void", a_reopen: "Reopen", a_rate: "Rate", a_archive: "Archive",
    a_warn: "Warning", a_escalate: "Escalated", a_extend: "Extend", a_take: "Taken", a_decline: "Declined / no answer",
    overdue: "Overdue", left: "left", kept: "Done", all: "All", search: "Search", case_no: "Case no.",
    status: "Status", station: "Station", category: "Category", source: "Source", since: "Since", priority: "Priority",
    moveups: "Move-ups", grids_covered: "more grids within 10 min", all_covered: "Every grid is within 10 minutes of someone",
    queue: "Case queue", detail: "Case detail", escalations: "Escalations", timeline: "Timeline", recommendations: "Recommended responders",
    dispatch_selected: "Dispatch selected", note: "Note", reason_required: "Please give a reason or note", nothing_selected: "Select a case",
    grid: "Grid", location: "Location", reporter: "Reporter", created: "Reported", deadlines: "Promises",
    deliberation: "Deliberation", volunteers: "Volunteers",
    my_tasks: "My tasks", patrol_report: "Patrol report", take: "Take", decline: "Decline", navigate: "Navigate", arrive: "Arrived",
    feedback: "Feedback", close: "Close", photos: "Photos", share_position: "Share position", on_duty: "On duty", use_location: "Use my location",
    submit: "Submit", description: "Description", no_tasks: "No tasks", sent: "Sent", locating: "Locating…",
    today_rates: "Today's promises kept", today_counts: "Today", total: "Total", open: "Open", urgent_count: "Urgent",
    by_source: "By channel", alarms: "Overdue", trend: "Last 30 days vs last year", this_year: "This year", last_year: "Last year",
    top_categories: "Top categories", map: "Grids and forces", centre: "Command centre", responders: "Responders",
    eta: "ETA", minutes: "min", soon: "Due soon", content: "Content", publish: "Publish news and guides", kind: "Section", title: "Title", body: "Text",
    documents: "Documents", office_hours: "Office hours", contact: "Phone", new_activity: "New activity", place: "Place", starts_at: "Starts", places: "Places", moderation: "Reported posts", extend_by: "Extend", loading: "Loading…", new_case_alert: "New case", acknowledge: "Got it", handed_over: "Not taken: handed over", nobody_free: "Nobody free: dispatch by hand", taken_en_route: "Taken · on the way", take_within: "take within",
    gas: "Smart gas", gs_search: "Search by id, address or owner", gs_open_alarms: "Alarms to act on", gs_detail: "Detector", gs_nothing: "Select an alarm or a detector", gs_devices: "detectors", gs_online: "online", gs_all: "All",
    gs_back_normal: "back to normal", gs_peak: "peak", gs_case: "Case", gs_ack: "Acknowledge", gs_no_alarms: "No alarms to act on", gs_seen: "last report", gs_bad: "Unreadable messages", gs_none: "No detectors match",
    gs_owner: "Owner", gs_device: "Device", gs_valve: "shut-off valve", gs_installed: "Installed", gs_life_until: "service life until", gs_last: "Last report", gs_battery: "battery", gs_messages: "messages", gs_message: "message", gs_alarms: "Alarms",
    gs_readings: "Readings", gs_time: "Time", gs_level_h: "Level", gs_muted: "muted", gs_what_done: "What was done (required)", gs_clear: "Clear alarm", gs_no_history: "No alarms so far", gs_my_gas: "My gas detectors", gs_my_none: "No gas detector is registered to you",
    gst_alarm: "Gas alarm", gst_offline: "Offline", gst_fault: "Fault", gst_tamper: "Tampered", gst_end_of_life: "Past service life", gst_low_battery: "Low battery", gst_never_seen: "Not yet online", gst_normal: "Normal",
    gk_gas: "Gas leak", gk_fault: "Device fault", gk_tamper: "Tamper alarm", gk_low_battery: "Low battery", gk_offline: "Offline", gk_end_of_life: "Past service life",
    gas_state_active: "Unacknowledged", gas_state_acknowledged: "Acknowledged", gas_state_cleared: "Cleared", gd_kind_household: "Home", gd_kind_business: "Business",
    gsa_raise: "alarm", gsa_update: "level changed", gsa_acknowledge: "acknowledged", gsa_clear: "cleared", gsa_link_case: "case opened", gsa_warn: "due soon", gsa_escalate: "overdue, escalated",
    gsd_acknowledge: "acknowledge", gsd_resolve: "remove the hazard", gsd_open_case: "open the urgent case", scr_gas: "Smart gas", scr_stations: "Joint-duty stations (rates: today)", scr_on_duty: "On duty", scr_free: "free", scr_open: "Open", scr_overdue: "overdue", scr_today_on_site: "On site in time", scr_today_close: "Closed on time", scr_so_far: "{n} so far today; {m} by this hour a year ago", scr_gas_leaks: "Gas leaks", gs_by_device: "detector", export_csv: "Export CSV", yoy_title: "This year so far, year on year", yoy_police_calls: "Police calls", yoy_public_security: "Criminal & public security", yoy_demand_petitions: "Demand petitions", same_time_last_year: "same hours last year", export_xlsx: "Export Excel", monthly_report: "This month's report", gs_by_platform: "platform", gs_level_n: "level {n}",
    petitions: "Petitions", cancel: "Cancel", pt_list: "Petitions", pt_register: "Register a petition", pt_detail: "Petition", pt_nothing: "Select a petition", pt_channel: "Channel", pt_class: "Class", pt_topic: "Topic", pt_matter: "Matter", pt_demand: "Demand", pt_address: "Address", pt_people: "Petitioners (one per line: name phone; * before a representative)",
    pt_overdue_by: "overdue by", pt_left: "left:", pt_open: "Open", pt_items: "petitions", pt_item: "petition", pt_first: "first ", pt_overdue_items: "overdue", pt_no: "No. ", pt_escalated: "Escalated", pt_repeat: "Repeat", pt_leader_owned: "Leader-owned", pt_and: "and", pt_people_n: "people", pt_none: "No petitions match",
    ps_registered: "Registered", ps_assigned: "Assigned", ps_accepted: "Accepted", ps_refused: "Not accepted", ps_replied: "Replied", ps_under_review: "Under review", ps_reviewed: "Reviewed", ps_under_re_review: "Under re-review", ps_re_reviewed: "Re-reviewed", ps_closed: "Closed",
    pc_letter: "Letter", pc_visit: "Visit", pc_phone: "Phone", pc_online: "Online", pc_resident_app: "Resident app", pc_escalated: "From a case",
    pk_demand: "Demand", pk_complaint: "Complaint", pk_suggestion: "Suggestion",
    pt_t_drainage: "Drainage", pt_t_wages: "Unpaid wages", pt_t_housing: "Housing", pt_t_land: "Land", pt_t_environment: "Environment", pt_t_noise: "Noise", pt_t_traffic: "Traffic", pt_t_food: "Food safety", pt_t_livelihood: "Other",
    pa_register: "Registered", pa_assign: "Assign", pa_accept: "Accept", pa_refuse: "Not accept", pa_extend: "Extend", pa_reply: "Written reply", pa_commit: "Add commitment", pa_link_case: "Link case", pa_keep_commitment: "Commitment kept", pa_schedule_follow_up: "Schedule visit", pa_record_follow_up: "Follow-up", pa_request_review: "Request review", pa_decide_review: "Review decision", pa_rate: "Rated", pa_take_ownership: "Take ownership", pa_close: "Close", pa_warn: "Reminder", pa_escalate: "Escalated",
    pt_level: "", pt_lvl: "Escalation level {n}", pd_paused: "Paused", pd_dropped: "No longer owed", pt_due: "Due", pt_keep: "Mark kept", pt_files: "Letter scans and photos", pt_add_scan: "Add a scan or photo", pt_no_files: "None yet", pt_case: "Case", pt_spawn: "Send as a case", pf_reply: "After the reply", pf_commitment: "After a commitment", pf_dissatisfied: "After a dissatisfied rating", pf_officer: "Set by the officer", ph_visit: "Visit", ph_phone: "Phone", ph_wechat: "WeChat", pt_record_visit: "Record visit",
    pt_after_re_review: "Re-review concluded: the same facts are not accepted again", pt_repeat_of: "Repeat of", pt_petitioners: "Petitioners", pt_rep: "representative", pt_unmask: "Show in full (logged)", pt_registered: "Registered", pt_body: "Responsible body", pt_extended: "Extended", pt_days: "days", pt_extend_days: "Extend by (days)", pt_route: "Other route", pt_reply: "Reply", pt_rating: "Rating",
    sat_satisfied: "Satisfied", sat_basically_satisfied: "Basically satisfied", sat_dissatisfied: "Dissatisfied", pt_clock: "Statutory time limits", pt_step: "Step", pt_owner: "Owner", pt_commitments: "Commitments", pt_follow_ups: "Follow-up visits", pt_next: "Next step", pt_unmasked_logged: "this view was logged",
    pt_said: "What the petitioner said", pt_how: "How", pt_officer: "Officer", pt_reason: "Reason", pt_approver: "Approving leader", pt_commitment: "Commitment", pt_decision: "Decision", pt_nothing_to_do: "Nothing to do now",
    my_petitions: "My petitions", pt_officer_contact: "Officer", pt_reply_due: "Reply due", pt_rate_it: "Please rate the result", pt_why: "If not satisfied, tell us why", pt_thanks: "Thank you for rating", pq_title: "Look up a petition", pq_code: "Query code from the text message", pq_go: "Look up",
    mediation: "Mediation studio", to_mediation: "Send to the mediation studio", md_list: "Disputes", md_register: "Register a dispute", md_detail: "Dispute", md_nothing: "Select a dispute", md_kind: "Kind of dispute", md_summary: "Summary", md_respondent: "Respondent (organisation or person)", md_item: "Item", md_claimants_csv: "Claimants (one per line: name,amount,phone; paste from a sheet)",
    ms_registered: "Registered", ms_in_session: "In session", ms_agreed: "Agreed", ms_performed: "Performed", ms_failed: "Failed",
    mo_case: "From a case", mo_walk_in: "Walk-in", mo_court: "Court referral", mo_police: "Police referral", mo_petition_office: "Petition office",
    mk_wages: "Wages", mk_freight: "Freight money", mk_neighbours: "Neighbours", mk_consumer: "Consumer", mk_family: "Family", mk_traffic: "Traffic accident", mk_property: "Property management", mk_other: "Other",
    mf_withdrawn: "A party withdrew", mf_no_agreement: "No agreement", mf_unreachable: "The other side cannot be reached", mf_referred: "Referred to court or arbitration",
    ma_register: "Registered", ma_add_parties: "Parties added", ma_session: "Record session", ma_extend: "Extend", ma_agree: "Agree", ma_confirm: "Party confirmed", ma_mediator_confirm: "Mediator signed", ma_pay: "Payment received", ma_fail: "Failed", ma_record_follow_up: "Follow-up", ma_apply_judicial: "Apply for judicial confirmation", ma_judicial_decision: "Court's decision", ma_warn: "Reminder", ma_escalate: "Escalated",
    md_today: "Today's sessions", md_none_today: "No session today", md_items: "disputes", md_item: "dispute", md_no: "No. ", md_parties_n: "parties", md_claimed: "claimed", md_agreed: "agreed", md_none: "No disputes match", md_claimant: "Claimant", md_respondent_s: "Respondent", md_org: "organisation",
    md_confirmed: "Confirmed", md_sign: "Sign", md_sms: "Text code", md_paid: "Paid", md_mark_paid: "Mark paid", md_money: "Money", md_on_spot: "on the spot", md_paid_later: "paid later", md_overdue_money: "overdue", md_judicial: "Judicial confirmation", md_applied: "applied", md_court_confirmed: "confirmed by the court", md_court_refused: "not confirmed", md_apply_by: "apply by",
    md_parties: "Parties", md_claims: "Claims", md_sessions: "Sessions", md_no_sessions: "No session yet", md_agreement: "Agreement", md_in_effect: "In effect", md_print: "Print the agreement", md_facts: "Facts:", md_responsibility: "Responsibility:", md_terms: "Terms:", md_payer_payee: "Payer → payee", md_amount: "Amount", md_instalments: "Instalments", md_mediator_sign: "Mediator signs",
    md_record: "Record of the session", md_offer: "Offer", md_payer: "Payer", md_each: "each claimant", md_rest_by: "rest by", md_consent: "How the parties consented", md_court: "Court", food: "Food safety", fd_register: "Businesses", fd_search: "Search by name", fd_draw: "Random draw", fd_draw_n: "Businesses to draw", fd_draw_go: "Draw", fd_detail: "Business", fd_nothing: "Select a business", fd_days: " d", fd_no_grade: "No grade yet",
    ff_good: "Good", ff_fair: "Fair", ff_poor: "Poor", fk_restaurant: "Restaurant", fk_canteen: "Canteen", fk_shop: "Food shop", fk_stall: "Stall", fk_central_kitchen: "Central kitchen", fk_other: "Other",
    fd_items: "businesses", fd_due_items: "due for inspection", fd_overdue_hazards: "hazards overdue", fd_risk: "Risk", fd_next: "Next inspection", fd_hazards: "Hazards to rectify", fd_none: "No business matches", fd_person: "Person in charge", fd_last: "Last inspection",
    fd_key: "Key item", fd_after_photo: "Photo after rectification, and confirm", fd_inspect: "Inspection", ft_inspection: "Inspection", ft_rectified: "Rectified", ft_complaint: "Complaint", ft_escalate: "Escalated", ft_register: "Registered", ft_warn: "Reminder",
    fo_compliant: "Compliant", fo_basically_compliant: "Basically compliant", fo_non_compliant: "Non-compliant", fd_failed_items: "items failed", fd_key_failed: "a key item among them", fd_pass: "Pass", fd_fail: "Fail", fd_note: "What is wrong", fd_photo: "Photo",
    fd_self_check: "The business's own check (not graded)", fd_submit: "Submit the inspection", fd_seed: "seed", fd_hazards_late: "Hazards overdue", my_food: "Food ratings", fd_public_hint: "Type a shop's name to see its rating and last inspection", md_clock: "Time limits", md_paper: "Signed on paper", md_code_prompt: "Type the code {name} received by text message", md_judicial_form: "Print the judicial-confirmation application", md_files: "Photos and signatures", md_add_photo: "Add a photo or paper of this session", md_sign_title: "Signature", md_sign_save: "Confirm signature", md_sign_clear: "Clear", md_sign_first: "Please sign first",
    stats: "Statistics", whatif: "What-if", st_period: "Period", st_day: "Day", st_week: "Week", st_month: "Month", st_quarter: "Quarter", st_year: "Year", st_custom: "Custom", st_date: "Date", st_from: "From", st_to: "To", st_compare: "Compare with", st_yoy: "Same period last year", st_pop: "Previous period", st_none: "Nothing", st_by: "Break down by", st_measure: "Chart", st_indicators: "Indicators", st_ranking: "Ranked by on-time closure", st_close: "Close",
    st_by_grid: "Grid", st_by_community: "Community", st_by_station: "Station", st_by_category: "Category", st_by_source: "Channel", st_by_priority: "Priority", st_by_force: "Force", st_by_responder: "Responder", st_by_hour: "Hour of day", st_by_weekday: "Weekday",
    st_m_count: "Cases", st_m_close_rate: "On-time closure", st_m_on_site_rate: "On site in time", st_m_satisfaction_rate: "Satisfaction", st_m_urgent: "Urgent cases", st_m_reopened: "Reopened",
    st_col_name: "Name", st_col_count: "Cases", st_col_change: "Change", st_col_open: "Open", st_col_closed: "Closed", st_col_close_rate: "On-time closure", st_col_missed: "Late", st_col_on_site: "On site in time", st_col_sat: "Satisfaction", st_col_reopened: "Reopened", st_total: "Total",
    st_scope: "Cases reported {from} to {to}, as they stood at {asof}.", st_scope_cmp: "Compared with {from} to {to} (a stretch of the same length).", st_under_way: "The period is under way: the comparison covers the same length of time.", st_overlap: "A case sent two forces (or two people) counts in both groups; the total counts it once.",
    st_left_susp: "Suspended (clock stopped), left out: ", st_extended: "Extended with approval, counted by the new deadline: ", st_best: "Best", st_worst: "Worst", st_rank_min: "(ranked with at least {n} cases due to close)", st_no_rank: "Too few cases in this period to rank", st_none_rows: "No cases in this period",
    st_cases_behind: "{label} · {what}", st_cases_n: "{n} cases; the newest {k} shown; click to open", st_pp: "pp", st_prev: "Compared", st_this: "This period", st_n_of: "{n}/{d}", st_no_data: "no data", st_open_console: "Open in the console",
    st_what_all: "all cases", st_what_open: "open cases", st_what_closed: "closed cases", st_what_close_missed: "closed late or overdue", st_what_reopened: "reopened cases", st_what_unsatisfied: "rated unsatisfied", st_what_on_site_missed: "not on site in time",
  };
  const dict = { zh, en };
  const params = new URLSearchParams(location.search);
  let lang = params.get("lang") || localStorage.getItem("cg_lang") || "zh";
  if (!dict[lang]) lang = "zh";
  const t = (k) => (dict[lang][k] ?? zh[k] ?? k);
  // A page's own words, in both languages.
  function words(z, e) { Object.assign(zh, z); Object.assign(en, e); }
  // What an API refusal says to a person, in the page's language: the known codes in words,
  // anything else with the server's detail.
  const SAID = {
    zh: { forbidden: "没有权限进行此操作", not_found: "未找到，可能已被删除", conflict: "已被他人修改或状态已变，请刷新后重试",
      invalid_transition: "当前状态下不能进行此操作", too_many_requests: "操作太频繁，请稍后再试", full: "名额已满",
      party_not_contacted: "尚未联系当事人", invalid_input: "填写有误：" },
    en: { forbidden: "You may not do this", not_found: "Not found; it may have been removed", conflict: "Someone changed it meanwhile; reload and try again",
      invalid_transition: "This step is not possible now", too_many_requests: "Too many tries; wait a moment", full: "Every place is taken",
      party_not_contacted: "The party has not been contacted", invalid_input: "Please check: " },
  };
  function said(e) {
    if (!e) return "";
    const w = SAID[lang] || SAID.zh;
    if (e.code === "invalid_input") return w.invalid_input + (e.message || "");
    return w[e.code] || e.message || String(e.status || e);
  }
  function applyI18n(root = document) {
    document.documentElement.lang = lang === "en" ? "en" : "zh-CN";
    root.querySelectorAll("[data-i18n]").forEach((el) => { el.textContent = t(el.dataset.i18n); });
    root.querySelectorAll("[data-i18n-placeholder]").forEach((el) => { el.placeholder = t(el.dataset.i18nPlaceholder); });
  }
  function setLang(l) {
    lang = l; localStorage.setItem("cg_lang", l); applyI18n(); document.dispatchEvent(new Event("cg:lang"));
  }
  const token = () => sessionStorage.getItem("cg_token");
  const user = () => JSON.parse(sessionStorage.getItem("cg_user") || "null");
  function signIn(tok, u) { sessionStorage.setItem("cg_token", tok); sessionStorage.setItem("cg_user", JSON.stringify(u)); }
  function toLogin() { location.href = "/login?next=" + encodeURIComponent(location.pathname + location.search); }
  // Milliseconds the server's clock is ahead of this computer's, from the last API answer.
  let skew = 0;
  const now = () => Date.now() + skew;
  async function api(method, path, body, raw) {
    const headers = { Authorization: "Bearer " + token() };
    let payload;
    if (raw) { payload = raw.data; headers["Content-Type"] = raw.type; }
    else if (body !== undefined) { payload = JSON.stringify(body); headers["Content-Type"] = "application/json"; }
    const sent = Date.now();
    const r = await fetch(path, { method, headers, body: payload });
    // The server's clock, halfway through the round trip: countdowns follow it.
    const at = Number(r.headers.get("x-server-time"));
    if (at) skew = at - (sent + Date.now()) / 2;
    if (r.status === 401 && !path.endsWith("/auth/login")) { toLogin(); throw { status: 401 }; }
    const text = await r.text();
    const data = text ? JSON.parse(text) : null;
    if (!r.ok) throw { status: r.status, code: data?.error?.code, message: data?.error?.message || r.statusText };
    return data;
  }
  const home = (role) => ({ leader: "/screen", grid_worker: "/field", patrol_member: "/field", enterprise_security: "/field", mediator: "/mediation", petition_officer: "/petitions", volunteer: "/app", resident: "/app" }[role] || "/console");
  function nav(current) {
    const u = user();
    const links = [["/console", "console"], ["/screen", "screen"], ["/field", "field"], ["/petitions", "petitions"], ["/mediation", "mediation"], ["/food", "food"], ["/gas", "gas"], ["/stats", "stats"], ["/whatif", "whatif"], ["/deliberation", "deliberation"], ["/volunteers", "volunteers"], ["/admin", "content"]].filter(([href]) => {
      if (!u) return false;
      if (u.role === "volunteer") return href === "/volunteers";
      if (href === "/deliberation" || href === "/volunteers") return ["admin", "leader", "dispatcher", "station_officer", "grid_worker"].includes(u.role) || (href === "/volunteers" && u.role === "volunteer");
      if (u.role === "mediator") return href === "/mediation" || href === "/field";
      if (u.role === "grid_worker") return href === "/field" || href === "/food" || href === "/gas";
      if (["patrol_member", "enterprise_security"].includes(u.role)) return href === "/field";
      if (u.role === "leader") return ["/screen", "/stats", "/whatif", "/petitions", "/mediation", "/food", "/gas", "/admin"].includes(href);
      if (u.role === "station_officer" && (href === "/food" || href === "/gas" || href === "/stats" || href === "/whatif")) return true;
      if (href === "/mediation") return u.role === "admin";
      if (u.role === "petition_officer") return href === "/petitions" || href === "/admin";
      if (href === "/petitions") return u.role === "admin";
      return true;
    });
    const bar = document.createElement("nav");
    bar.className = "topnav"; bar.setAttribute("aria-label", "main");
    bar.innerHTML = `<span class="brand" data-i18n="brand"></span>` +
      links.map(([href, key]) => `<a href="${href}" data-i18n="${key}" ${href === current ? 'aria-current="page"' : ""}></a>`).join("") +
      `<span id="cg-me"></span><button type="button" id="cg-lang" data-i18n="lang"></button>` +
      `<button type="button" id="cg-logout" data-i18n="logout"></button>`;
    document.body.prepend(bar);
    const me = bar.querySelector("#cg-me");
    const showMe = () => { me.textContent = u ? personName(u.display_name, u.role) : ""; };
    showMe();
    document.addEventListener("cg:lang", showMe);
    bar.querySelector("#cg-lang").onclick = () => setLang(lang === "zh" ? "en" : "zh");
    bar.querySelector("#cg-logout").onclick = async () => {
      try { await api("POST", "/api/v1/auth/logout"); } catch (_) {}
      sessionStorage.clear(); location.href = "/login";
    };
    applyI18n();
  }
  // Fetches a file with the token and hands it to the browser as a download.
  async function download(path, name) {
    const r = await fetch(path, { headers: { Authorization: "Bearer " + token() } });
    if (!r.ok) { const e = await r.json().catch(() => null); throw { status: r.status, message: e?.error?.message || r.statusText }; }
    const a = document.createElement("a");
    a.href = URL.createObjectURL(await r.blob()); a.download = name; document.body.appendChild(a); a.click(); a.remove();
  }
  // Fetches a page with the token and opens it in a new tab (a report to print).
  async function openPage(path) {
    const w = window.open("", "_blank");
    const r = await fetch(path, { headers: { Authorization: "Bearer " + token() } });
    const blob = await r.blob();
    const url = URL.createObjectURL(blob);
    if (w) w.location = url; else location.href = url;
  }
  function requireLogin() { if (!token()) { toLogin(); return false; } return true; }
  function esc(s) { return String(s ?? "").replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" }[c])); }
  // Times are the street's (Beijing time), whatever the browser's time zone.
  function fmtTime(iso) { if (!iso) return ""; const d = new Date(iso); return d.toLocaleString(lang === "en" ? "en-GB" : "zh-CN", { hour12: false, timeZone: "Asia/Shanghai" }); }
  function countdown(iso) {
    const ms = new Date(iso) - now(); const neg = ms < 0; const s = Math.abs(Math.round(ms / 1000));
    const h = Math.floor(s / 3600), m = Math.floor((s % 3600) / 60), ss = s % 60;
    const txt = (h ? h + ":" + String(m).padStart(2, "0") : m) + ":" + String(ss).padStart(2, "0");
    return { neg, txt: (neg ? "-" : "") + txt };
  }
  function beep() {
    try {
      const ctx = new (window.AudioContext || window.webkitAudioContext)();
      const o = ctx.createOscillator(); o.frequency.value = 880; o.connect(ctx.destination); o.start(); o.stop(ctx.currentTime + 0.25);
    } catch (_) {}
  }
  // Live changes; the browser resumes from the last event id on reconnection.
  function stream(onEvent) {
    const es = new EventSource("/api/v1/stream?access_token=" + encodeURIComponent(token()));
    for (const kind of ["case", "responder", "reset"]) es.addEventListener(kind, (e) => onEvent(kind, e.data ? JSON.parse(e.data) : {}));
    return es;
  }
  // A staff member as a page names them: in English their role in English and their name (a
  // display name may carry a Chinese title before the name: "指挥中心值班员 陈敏"; a name that
  // is only the title, "系统管理员", is the role alone).
  const personName = (name, role) => {
    const title = en["r_" + role];
    if (!name || lang !== "en" || !title) return name || "";
    const last = name.trim().split(/\s+/).pop();
    return last === zh["r_" + role] ? title : `${title} ${last}`;
  };
  // Punctuation in the page's language: "：" / ": ", "（x）" / " (x)", and a Chinese list
  // separator ("、", "，", "；") as English writes it.
  const colon = () => (lang === "en" ? ": " : "：");
  const paren = (x) => (lang === "en" ? ` (${x})` : `（${x}）`);
  const sep = (z) => (lang === "en" ? { "、": ", ", "，": ", ", "；": "; " }[z] ?? z : z);
  // A record's grid in the page's language (records carry `grid_name` and `grid_name_en`).
  const gridName = (x) => (lang === "en" ? x.grid_name_en : x.grid_name) || x.grid_name || x.grid || "";
  return { t, words, said, applyI18n, setLang, lang: () => lang, token, user, signIn, api, nav, home, requireLogin, esc, fmtTime, countdown, now, beep, stream, download, openPage, gridName, personName, colon, paren, sep };
})();
