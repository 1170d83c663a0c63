import { describe, expect, it } from "vitest";
import { en } from "../src/i18n/en";
import { zhCN } from "../src/i18n/zh-CN";
import { initialLocale, localeFor, makeI18n, STORAGE_KEY, translate } from "../src/i18n";

const placeholders = (s: string) => [...s.matchAll(/\{(\w+)\}/g)].map((m) => m[1]).sort();

describe("message catalogues", () => {
  it("have exactly the same keys", () => {
    expect(Object.keys(zhCN).sort()).toEqual(Object.keys(en).sort());
  });

  it("have no empty message", () => {
    for (const [k, v] of [...Object.entries(en), ...Object.entries(zhCN)]) expect(v.trim(), k).not.toBe("");
  });

  it("use the same placeholders in both languages", () => {
    for (const key of Object.keys(en) as (keyof typeof en)[]) {
      expect(placeholders(zhCN[key]), key).toEqual(placeholders(en[key]));
    }
  });

  it("really translate: Chinese messages hold Chinese characters", () => {
    const untranslated = Object.entries(zhCN).filter(([k, v]) => !/[\u4e00-\u9fff]/.test(v) && v === en[k as keyof typeof en] && !/^(common\.none|shared\.sha256|shared\.col\.sha256)$/.test(k));
    expect(untranslated).toEqual([]);
  });
});

describe("locale", () => {
  it("follows the OS language: zh* is Simplified Chinese, anything else English", () => {
    expect(localeFor("zh-CN")).toBe("zh-CN");
    expect(localeFor("zh-TW")).toBe("zh-CN");
    expect(localeFor("zh")).toBe("zh-CN");
    expect(localeFor("en-GB")).toBe("en");
    expect(localeFor("fr-FR")).toBe("en");
    expect(localeFor(undefined)).toBe("en");
  });

  it("prefers the saved choice", () => {
    localStorage.setItem(STORAGE_KEY, "zh-CN");
    expect(initialLocale()).toBe("zh-CN");
    localStorage.setItem(STORAGE_KEY, "nonsense");
    expect(initialLocale()).toBe(localeFor(navigator.language));
  });

  it("fills placeholders and plurals", () => {
    expect(translate("en", "usage.estimated", { pct: "12%" })).toBe("12% estimated");
    const i = makeI18n("en");
    expect(i.tn("common.calls", 1)).toBe("1 call");
    expect(i.tn("common.calls", 1234)).toBe("1,234 calls");
    expect(makeI18n("zh-CN").tn("common.calls", 3)).toBe("3 次调用");
  });
});
