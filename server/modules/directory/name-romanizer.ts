import { pinyin } from 'pinyin-pro';

/**
 * Turns display names into lowercase ASCII units for building addresses. Han text becomes toneless
 * pinyin (ü → v), surnames read as surnames (单 shan, 曾 zeng, 万俟 moqi); Latin text is folded to
 * a-z (José → jose). Everything else (emoji, punctuation, scripts we cannot romanize) is dropped.
 */

/** A name split into family and given parts; every unit is non-empty [a-z0-9]. */
export interface RomanizedName {
  family: string[];
  /** Han given names: one unit per syllable (张三丰 → san, feng); Latin: one unit per word. */
  given: string[];
  /** Written family-first (Chinese order) rather than given-first (Western order). */
  familyFirst: boolean;
}

/**
 * Compound surnames with their surname readings. Readings are ours rather than pinyin-pro's because
 * its surname mode misses traditional forms (長孫 → chang) and some readings differ from the
 * everyday ones (尉迟 yuchi, 万俟 moqi). Left out on purpose: pairs that more often are a common
 * single surname plus a common given-name character (单于, 宗政, 乐正).
 */
// prettier-ignore
export const COMPOUND_SURNAMES: ReadonlyMap<string, string> = new Map([
  ['欧阳', 'ouyang'], ['歐陽', 'ouyang'],
  ['司马', 'sima'], ['司馬', 'sima'],
  ['诸葛', 'zhuge'], ['諸葛', 'zhuge'],
  ['上官', 'shangguan'],
  ['东方', 'dongfang'], ['東方', 'dongfang'],
  ['皇甫', 'huangfu'],
  ['尉迟', 'yuchi'], ['尉遲', 'yuchi'],
  ['公孙', 'gongsun'], ['公孫', 'gongsun'],
  ['慕容', 'murong'],
  ['长孙', 'zhangsun'], ['長孫', 'zhangsun'],
  ['令狐', 'linghu'],
  ['夏侯', 'xiahou'],
  ['宇文', 'yuwen'],
  ['司徒', 'situ'],
  ['端木', 'duanmu'],
  ['万俟', 'moqi'], ['萬俟', 'moqi'],
  ['澹台', 'tantai'], ['澹臺', 'tantai'],
  ['轩辕', 'xuanyuan'], ['軒轅', 'xuanyuan'],
  ['呼延', 'huyan'],
  ['南宫', 'nangong'], ['南宮', 'nangong'],
  ['西门', 'ximen'], ['西門', 'ximen'],
  ['独孤', 'dugu'], ['獨孤', 'dugu'],
  ['司空', 'sikong'],
  ['闻人', 'wenren'], ['聞人', 'wenren'],
  ['赫连', 'helian'], ['赫連', 'helian'],
  ['申屠', 'shentu'],
  ['濮阳', 'puyang'], ['濮陽', 'puyang'],
  ['淳于', 'chunyu'],
  ['公冶', 'gongye'],
  ['太史', 'taishi'],
  ['钟离', 'zhongli'], ['鍾離', 'zhongli'],
  ['拓跋', 'tuoba'],
  ['鲜于', 'xianyu'], ['鮮于', 'xianyu'],
  ['闾丘', 'lvqiu'], ['閭丘', 'lvqiu'],
]);

/**
 * Single surnames whose surname reading pinyin-pro does not give: traditional forms of the
 * polyphonic surnames (its surname mode knows simplified only), plus two it reads the everyday way.
 */
// prettier-ignore
const SINGLE_SURNAME_READINGS: ReadonlyMap<string, string> = new Map([
  ['單', 'shan'], ['樂', 'yue'], ['區', 'ou'], ['蓋', 'ge'], ['樸', 'piao'], ['繆', 'miao'],
  ['種', 'chong'], ['种', 'chong'], ['秘', 'bi'], ['員', 'yun'],
]);

const HAN = /\p{Script=Han}/u;
// Punctuation that joins a word rather than splitting it: O'Brien, Smith-Jones.
const JOINERS = /['’ʼ`´\-‐‑]/;
// The Chinese convention for transliterated foreign names (约翰·史密斯), which keep given-first order.
const NAME_DOTS = /[·・•‧∙⋅]/;
// Parenthesised notes that directories append to names: 张三（外包）, 李四 [Sales], 王五【实习】.
const ANNOTATION = /[([【〔《][^)\]】〕》]*[)\]】〕》]/g;
const ITERATION_MARK = '々';
const NEEDS_FOLDING = /[^\p{ASCII}\p{Script=Han}]/u;

// Letters NFD cannot decompose into a base letter plus marks.
// prettier-ignore
const LATIN_SPECIALS: Readonly<Record<string, string>> = {
  ß: 'ss', ẞ: 'ss', æ: 'ae', Æ: 'ae', œ: 'oe', Œ: 'oe', ø: 'o', Ø: 'o', đ: 'd', Đ: 'd',
  ð: 'd', Ð: 'd', ł: 'l', Ł: 'l', þ: 'th', Þ: 'th', ı: 'i', ħ: 'h', Ħ: 'h',
};

interface Word {
  han: boolean;
  text: string;
}

/** Romanizes a person's display name and splits it into family and given parts. */
export function romanizeName(displayName: string): RomanizedName {
  const normalized = displayName.normalize('NFKC');
  const withoutNotes = normalized.replace(ANNOTATION, ' ');
  // If the whole name was a note, e.g. "(Tom)", the note is all we have.
  const result = romanizeWords(splitWords(withoutNotes), NAME_DOTS.test(withoutNotes));
  if (result.family.length > 0 || withoutNotes === normalized) return result;
  return romanizeWords(splitWords(normalized), NAME_DOTS.test(normalized));
}

/**
 * Romanizes free text such as a department name, in written order, without surname readings.
 * Han text is converted a word at a time so pinyin-pro can use context (重庆 chongqing, 银行 yinhang).
 */
export function romanizeText(text: string): string[] {
  return splitWords(text.normalize('NFKC')).flatMap((w) => (w.han ? hanSyllables(w.text, false) : [w.text]));
}

function romanizeWords(words: Word[], hasNameDots: boolean): RomanizedName {
  if (words.length === 0) return { family: [], given: [], familyFirst: true };
  if (words[0].han && !hasNameDots) return chineseOrder(words);
  return westernOrder(words, !hasNameDots);
}

/** 张三丰, 欧阳 娜娜, 王Anna: the surname starts the first word; everything after it is given. */
function chineseOrder(words: Word[]): RomanizedName {
  const first = Array.from(words[0].text);
  const rest = words.slice(1).flatMap((w) => (w.han ? hanSyllables(w.text, false) : [w.text]));
  // A compound surname needs something after it: 欧阳 alone is more likely surname 欧, given 阳.
  const compound = COMPOUND_SURNAMES.get(first.slice(0, 2).join(''));
  const useCompound = compound !== undefined && (first.length > 2 || rest.length > 0);
  const surnameLength = useCompound ? 2 : 1;
  const raw = hanReadings(first, true);
  const familyReading = useCompound ? compound : (SINGLE_SURNAME_READINGS.get(first[0]) ?? raw[0]);
  const family = familyReading ? [familyReading] : [];
  const given = [...compact(raw.slice(surnameLength)), ...rest];
  return settle({ family, given, familyFirst: true });
}

/** Tom Li, Anna王, 约翰·史密斯: the last word is the family name. */
function westernOrder(words: Word[], surnameReadings: boolean): RomanizedName {
  // A transliterated word (约翰) stands for one foreign word, so it is one unit, not one per syllable.
  const units = words.map((w, i) =>
    w.han ? hanSyllables(w.text, surnameReadings && i === words.length - 1).join('') : w.text,
  );
  const nonEmpty = units.filter((u) => u.length > 0);
  return settle({ family: nonEmpty.slice(-1), given: nonEmpty.slice(0, -1), familyFirst: false });
}

/** Every name with any unit has a family part, so initials_family never yields bare initials. */
function settle(name: RomanizedName): RomanizedName {
  if (name.family.length > 0 || name.given.length === 0) return name;
  const given = [...name.given];
  const family = name.familyFirst ? given.splice(0, 1) : given.splice(-1, 1);
  return { family, given, familyFirst: name.familyFirst };
}

function hanSyllables(text: string, surnameHead: boolean): string[] {
  const chars = Array.from(text);
  const raw = hanReadings(chars, surnameHead);
  if (surnameHead) raw[0] = SINGLE_SURNAME_READINGS.get(chars[0]) ?? raw[0];
  return compact(raw);
}

/** One reading per character, aligned with `chars`; '' where pinyin-pro has none (rare CJK extensions). */
function hanReadings(chars: string[], surnameHead: boolean): string[] {
  const out = pinyin(chars.join(''), {
    toneType: 'none',
    type: 'array',
    v: true,
    surname: surnameHead ? 'head' : 'off',
  });
  const readings: string[] = [];
  chars.forEach((ch, i) => {
    // 々 repeats the previous character (佐々木); pinyin-pro reads it as a word of its own.
    const reading = ch === ITERATION_MARK && i > 0 ? readings[i - 1] : (out[i] ?? '').toLowerCase();
    readings.push(/^[a-z]+$/.test(reading) ? reading : '');
  });
  return readings;
}

function compact(units: string[]): string[] {
  return units.filter((u) => u.length > 0);
}

/** Splits NFKC text into Han runs and folded Latin/digit runs; anything else separates words. */
function splitWords(text: string): Word[] {
  const words: Word[] = [];
  let current: Word | null = null;
  for (const ch of foldLatin(text)) {
    if (JOINERS.test(ch)) continue;
    const han = HAN.test(ch);
    if (!han && !/[a-z0-9]/.test(ch)) {
      current = null;
      continue;
    }
    if (current && current.han === han) {
      current.text += ch;
    } else {
      current = { han, text: ch };
      words.push(current);
    }
  }
  return words;
}

/** Folds Latin letters to a-z: accents dropped, but pinyin's ü after l/n becomes v (Lü → lv, not lu). */
function foldLatin(text: string): string {
  // Most names are plain Han or ASCII; skip the normalization passes for them (a measurable share of a 100k batch).
  if (!NEEDS_FOLDING.test(text)) return text.toLowerCase();
  return text
    .normalize('NFD')
    .replace(/([lnLN])[uU]\u0308/g, '$1v')
    .replace(/[^\p{ASCII}]/gu, (ch) => LATIN_SPECIALS[ch] ?? ch)
    .replace(/\p{M}/gu, '')
    .normalize('NFC')
    .toLowerCase();
}
