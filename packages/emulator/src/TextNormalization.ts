/**
 * Inverse text normalization (`enable_itn`): spoken numbers become digits, for Chinese and English.
 *
 * @since 0.1.0
 */
const EN_UNITS: Record<string, number> = {
  zero: 0,
  one: 1,
  two: 2,
  three: 3,
  four: 4,
  five: 5,
  six: 6,
  seven: 7,
  eight: 8,
  nine: 9,
  ten: 10,
  eleven: 11,
  twelve: 12,
  thirteen: 13,
  fourteen: 14,
  fifteen: 15,
  sixteen: 16,
  seventeen: 17,
  eighteen: 18,
  nineteen: 19,
  twenty: 20,
  thirty: 30,
  forty: 40,
  fifty: 50,
  sixty: 60,
  seventy: 70,
  eighty: 80,
  ninety: 90
}
const EN_SCALES: Record<string, number> = { hundred: 100, thousand: 1000, million: 1_000_000 }
const EN_NUMBER = new RegExp(
  `\\b(?:${[...Object.keys(EN_UNITS), ...Object.keys(EN_SCALES)].join("|")})(?:[\\s-]+(?:and[\\s]+)?(?:${
    [...Object.keys(EN_UNITS), ...Object.keys(EN_SCALES)].join("|")
  }))*\\b`,
  "gi"
)

const englishValue = (words: ReadonlyArray<string>): number => {
  let total = 0
  let current = 0
  for (const word of words) {
    const unit = EN_UNITS[word]
    if (unit !== undefined) current += unit
    else if (word === "hundred") current = (current || 1) * 100
    else {
      total += (current || 1) * EN_SCALES[word]!
      current = 0
    }
  }
  return total + current
}

const ZH_DIGITS: Record<string, number> = {
  零: 0,
  〇: 0,
  一: 1,
  二: 2,
  两: 2,
  三: 3,
  四: 4,
  五: 5,
  六: 6,
  七: 7,
  八: 8,
  九: 9
}
const ZH_SCALES: Record<string, number> = { 十: 10, 百: 100, 千: 1000, 万: 10_000 }

const chineseValue = (text: string): number => {
  let total = 0
  let section = 0
  let digit = 0
  for (const ch of text) {
    const d = ZH_DIGITS[ch]
    if (d !== undefined) {
      digit = d
      continue
    }
    const scale = ZH_SCALES[ch]!
    if (scale === 10_000) {
      total += (section + digit) * scale
      section = 0
    } else {
      section += (digit || (scale === 10 ? 1 : 0)) * scale
    }
    digit = 0
  }
  return total + section + digit
}

/**
 * Inverse text normalization: English and Chinese number words become digits.
 *
 * @since 0.1.0
 * @category utils
 */
export const itn = (text: string): string =>
  text
    .replace(EN_NUMBER, (match) => {
      const words = match.toLowerCase().split(/[\s-]+/).filter((w) => w !== "and")
      return String(englishValue(words))
    })
    .replace(/[零〇一二两三四五六七八九十百千万]{2,}|[零〇一二两三四五六七八九十]+(?=[个点号岁年月日元])/g, (match) =>
      String(chineseValue(match)))
