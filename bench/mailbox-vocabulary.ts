// Words for the mailbox bench: what subjects in a Chinese company's mailbox look like, and the
// searches people type (common words, rare words, phrases, addresses, things that match nothing).

export const CN_WORDS = [
  '采购合同',
  '会议纪要',
  '周报',
  '报价单',
  '发票',
  '项目进度',
  '预算审批',
  '招聘',
  '培训通知',
  '出差申请',
  '年终总结',
  '客户反馈',
  '产品发布',
  '技术方案',
  '服务器维护',
  '季度报告',
  '合作协议',
  '付款通知',
  '请假申请',
  '系统升级',
  '供应商',
  '质量检查',
  '安全生产',
  '市场活动',
  '财务报表',
  '人事变动',
  '办公用品',
  '绩效考核',
  '数据分析',
  '用户调研',
  '合同续签',
  '物流配送',
  '仓库盘点',
  '研发计划',
  '测试报告',
  '上线通知',
  '故障排查',
  '投标文件',
  '法务审核',
  '董事会',
] as const;

export const EN_WORDS = [
  'budget',
  'meeting',
  'invoice',
  'contract',
  'review',
  'schedule',
  'report',
  'update',
  'proposal',
  'release',
  'quarterly',
  'design',
  'deadline',
  'approval',
  'customer',
  'feedback',
  'server',
  'maintenance',
  'roadmap',
  'hiring',
  'onboarding',
  'security',
  'audit',
  'migration',
  'launch',
  'pricing',
  'shipment',
  'warehouse',
  'training',
  'policy',
  'incident',
  'outage',
  'renewal',
  'vendor',
  'forecast',
  'summary',
  'agenda',
  'minutes',
  'benchmark',
  'prototype',
] as const;

export const CN_NAMES = [
  '张伟',
  '王芳',
  '李娜',
  '刘洋',
  '陈静',
  '杨磊',
  '赵敏',
  '黄强',
  '周杰',
  '吴婷',
  '徐明',
  '孙丽',
  '马超',
  '朱琳',
  '胡斌',
  '郭涛',
  '何欣',
  '高峰',
  '林晓',
  '罗刚',
] as const;

/** Deterministic, so two runs measure the same data and queries. */
export function makeRng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const pickOf =
  (rng: () => number) =>
  <T>(list: readonly T[]) =>
    list[Math.floor(rng() * list.length)]!;

/** Common words, two-word combinations, rare project tags, one-message order numbers, addresses, misses. */
export function queriesEnglish(rng: () => number, messages: number, count: number): string[] {
  const pick = pickOf(rng);
  const out: string[] = [];
  for (let i = 0; i < count; i++) {
    switch (i % 6) {
      case 0:
        out.push(pick(EN_WORDS));
        break;
      case 1:
        out.push(`${pick(EN_WORDS)} ${pick(EN_WORDS)}`);
        break;
      case 2:
        out.push(`proj${Math.floor(rng() * 5000)}`);
        break;
      case 3:
        out.push(`PO${1 + Math.floor(rng() * messages)}`);
        break;
      case 4:
        out.push(`partner${Math.floor(rng() * 40)}.com`);
        break;
      default:
        out.push(`${pick(['zebra', 'quantum', 'xylophone', 'nebula'])} ${pick(EN_WORDS)}`);
    }
  }
  return out;
}

/** Two-character words, whole phrases, phrase pairs, names, a word with an English one, misses. */
export function queriesCjk(rng: () => number, count: number): string[] {
  const pick = pickOf(rng);
  const out: string[] = [];
  for (let i = 0; i < count; i++) {
    const word = pick(CN_WORDS);
    switch (i % 6) {
      case 0:
        out.push(word.slice(0, 2));
        break;
      case 1:
        out.push(word);
        break;
      case 2:
        out.push(`${word} ${pick(CN_WORDS)}`);
        break;
      case 3:
        out.push(pick(CN_NAMES));
        break;
      case 4:
        out.push(`${word.slice(-2)} ${pick(EN_WORDS)}`);
        break;
      default:
        out.push(pick(['量子计算', '火星探测', '深海养殖', '古籍修复']));
    }
  }
  return out;
}
