/** Word lists of the demo-company generator: Chinese company, department, title and name parts. */

const words = (s: string): string[] => s.split(' ');

/** `name:mail domain` (example.com domains: there is no DNS behind them). */
export const COMPANIES = words(
  '杭州云栖科技有限公司:yunqi.example.com 上海星河数据有限公司:xinghe.example.com 北京启明智能科技有限公司:qiming.example.com ' +
    '深圳前海网络科技有限公司:qianhai.example.com 成都锦程信息技术有限公司:jincheng.example.com 南京紫金软件有限公司:zijin.example.com',
).map((w) => w.split(':') as [string, string]);

export type Category = keyof typeof SUBUNITS;

/** Top-level divisions in the order small companies have them; `name:category`. */
export const DIVISIONS = words(
  '研发中心:tech 销售中心:sales 产品中心:product 市场部:marketing 人力资源部:hr 财务部:finance 行政部:admin ' +
    '客户服务中心:service 运营中心:ops 数据中心:data 供应链中心:supply 法务部:legal 质量管理部:quality 战略发展部:strategy',
).map((w) => w.split(':') as [string, Category]);

export const SUBUNITS = {
  tech: words('前端组 后端组 测试组 移动端组 运维组 基础架构组 安全组 算法组 数据平台组 中间件组 研发效能组'),
  sales: words(
    '华东销售部 华北销售部 华南销售部 华中销售部 西南销售部 西北销售部 东北销售部 大客户部 渠道部 海外销售部',
  ),
  product: words('产品规划部 用户体验部 交互设计组 视觉设计组 产品运营组'),
  marketing: words('品牌部 市场推广组 公关组 内容组 活动策划组 新媒体组'),
  hr: words('招聘组 培训发展组 薪酬福利组 员工关系组 HRBP组 组织发展组'),
  finance: words('会计组 出纳组 税务组 预算组 审计组 资金组'),
  admin: words('行政服务组 采购组 IT支持组 安保组 前台'),
  service: words('售前支持组 售后服务组 客户成功组 呼叫中心 技术支持组'),
  ops: words('用户运营组 商家运营组 活动运营组 数据运营组'),
  data: words('数据仓库组 BI组 数据治理组 数据分析组'),
  supply: words('采购部 仓储部 物流部 计划部'),
  legal: words('合规组 知识产权组 诉讼组 合同组'),
  quality: words('质量保证组 质量检测组 体系认证组'),
  strategy: words('投资组 战略规划组 并购组'),
};

export const TITLES: Record<Category, string[]> = {
  tech: words('前端工程师 后端工程师 测试工程师 高级工程师 资深工程师 技术专家 架构师 运维工程师 算法工程师'),
  sales: words('销售代表 客户经理 高级客户经理 销售主管 大客户经理'),
  product: words('产品经理 高级产品经理 UI设计师 交互设计师 产品助理'),
  marketing: words('市场专员 品牌经理 新媒体运营 市场经理'),
  hr: words('HR专员 招聘专员 HRBP 培训经理'),
  finance: words('会计 出纳 财务分析师 税务专员'),
  admin: words('行政专员 采购专员 IT工程师 前台'),
  service: words('客服专员 技术支持工程师 客户成功经理'),
  ops: words('运营专员 高级运营 运营经理'),
  data: words('数据分析师 数据工程师 BI工程师'),
  supply: words('采购员 仓储主管 物流专员 计划员'),
  legal: words('法务专员 律师 合规经理'),
  quality: words('质量工程师 质检员'),
  strategy: words('投资经理 战略分析师'),
};

export const PROJECTS = words(
  '支付项目组 会员项目组 搜索项目组 推荐项目组 订单项目组 消息项目组 账号项目组 网关项目组',
);
export const CITIES = words(
  '上海 杭州 南京 苏州 合肥 北京 天津 广州 深圳 厦门 武汉 长沙 成都 重庆 西安 沈阳',
);
export const SURNAMES = words(
  '王 李 张 刘 陈 杨 黄 赵 吴 周 徐 孙 马 朱 胡 郭 何 林 高 罗 郑 梁 谢 宋 唐 许 韩 冯 邓 曹 彭 曾 肖 田 董 袁 潘 于 蒋 蔡 余 杜 叶 程 苏 魏 吕 丁 任 沈 姚 卢 姜 崔 钟 谭 陆 汪 范 金 石 廖 贾 夏 韦 方 白 邹 孟 熊 秦 邱 江 尹 薛 段 雷 侯 龙 史 陶 黎 贺 顾 毛 郝 龚 邵 万 钱 严 覃 武 戴 莫 孔 向 汤 欧阳 司马 诸葛 上官',
);
/** Surnames read differently from the character's usual reading: a test for pinyin-based addresses. */
export const POLYPHONIC_SURNAMES = words('单 曾 解 仇 区 查 朴 盖 乐 尉 缪 覃');
export const GIVEN = words(
  '伟 芳 娜 敏 静 丽 强 磊 军 洋 勇 艳 杰 娟 涛 明 超 霞 平 刚 华 建 国 文 辉 鹏 红 玲 宇 浩 凯 婷 雪 琳 晨 欣 怡 子 涵 梓 萱 博 轩 思 雨 佳 俊 嘉 泽 一 诺 天 昊 晓 海 志 永 春 燕 丹 阳 亮 斌 飞 波 宁 蕾 倩 颖 莉 慧 琪 瑶 鑫 宏 成 康 诚 峰',
);
export const ENGLISH_FIRST = words('Tom Anna Kevin Lucy David Emma Jack Grace Leo Mia');
export const ENGLISH_LAST = words('Li Wang Zhang Liu Chen Yang Zhao Wu');
