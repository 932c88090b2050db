/**
 * The web chat in a real Chromium against the local stack (dev/start.ts on free ports):
 * sign up → streamed answer → reload (silent refresh) → history → rename / delete a
 * conversation → export → account deletion → sign-in refused; an XSS answer that must stay
 * inert; the 429 countdown; the layout at 375 px; labels on every control.
 */
import fs from "node:fs";
import type { Browser, BrowserContext, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { launchBrowser, PASSWORD, screenshot, uniqueEmail, watchPage } from "./support/browser";
import { startStack, type Stack } from "./support/stack";

// Callbacks of page.evaluate run in the browser; the repository's tsconfig has no DOM lib.
declare const document: any, window: any, MutationObserver: any, getComputedStyle: any, localStorage: any, sessionStorage: any;

let stack: Stack;
let browser: Browser;

beforeAll(async () => {
  stack = await startStack();
  browser = await launchBrowser();
});

afterAll(async () => {
  await browser?.close();
  await stack?.stop();
});

const DEMO_START = "Bonjour ! Je suis l'assistant de démonstration";

async function newPage(viewport = { width: 1280, height: 800 }): Promise<{ context: BrowserContext; page: Page; errors: string[] }> {
  const context = await browser.newContext({ viewport, acceptDownloads: true, locale: "fr-FR" });
  const page = await context.newPage();
  const { errors } = watchPage(page);
  return { context, page, errors };
}

async function signUp(page: Page, email: string, password = PASSWORD, shot?: string): Promise<void> {
  await page.waitForSelector("#auth-view:not([hidden])");
  if ((await page.textContent("#auth-title"))?.trim() !== "Créer un compte") await page.click("#auth-toggle");
  await expect.poll(() => page.textContent("#auth-title")).toBe("Créer un compte");
  await page.fill("#auth-email", email);
  await page.fill("#auth-password", password);
  expect(await page.isDisabled("#auth-submit"), "submit stays disabled until consent is given").toBe(true);
  await page.check("#auth-consent");
  expect(await page.isDisabled("#auth-submit")).toBe(false);
  if (shot) await screenshot(page, shot);
  await page.click("#auth-submit");
  await page.waitForSelector("#chat-view:not([hidden])", { timeout: 20_000 }).catch(async (e) => {
    throw new Error(`sign-up did not reach the chat: ${await page.textContent("#auth-error")} (${e})`);
  });
}

async function signIn(page: Page, email: string, password = PASSWORD): Promise<void> {
  await page.waitForSelector("#auth-view:not([hidden])");
  if ((await page.textContent("#auth-title"))?.trim() !== "Connexion") await page.click("#auth-toggle");
  await page.fill("#auth-email", email);
  await page.fill("#auth-password", password);
  await page.click("#auth-submit");
}

/** Types a message, sends it with Enter and waits until the answer (or refusal) is over. */
async function send(page: Page, text: string): Promise<void> {
  await page.evaluate(() => document.getElementById("composer")!.removeAttribute("aria-busy"));
  await page.fill("#composer-input", text);
  await page.press("#composer-input", "Enter");
  await page.waitForSelector('#composer[aria-busy="false"]', { timeout: 60_000 });
}

const lastAnswer = (page: Page) => page.evaluate(() => [...document.querySelectorAll(".msg-assistant .msg-body")].pop()?.textContent ?? "");

describe("web chat, one user's whole journey", () => {
  const email = uniqueEmail("journey");
  const question = "Bonjour, peux-tu m'expliquer ce que tu fais ?";
  let context: BrowserContext;
  let page: Page;
  let errors: string[];

  beforeAll(async () => {
    ({ context, page, errors } = await newPage());
    // ?model= picks an allowlisted model: the demo model's slow scenario streams a word every 200 ms.
    await page.goto(`${stack.webUrl}/?model=demo-slow`);
  });
  afterAll(async () => {
    await context?.close();
  });

  it("shows the AI disclosure and signs up (consent required)", async () => {
    await page.waitForSelector("#auth-view:not([hidden])");
    expect(await page.getAttribute("html", "lang")).toBe("fr");
    expect(await page.isVisible("#ai-banner")).toBe(true);
    expect(await page.textContent("#ai-banner")).toContain("Vous échangez avec une IA");
    await screenshot(page, "01-signin");
    await signUp(page, email, PASSWORD, "02-signup");
    await screenshot(page, "03-chat-empty");
  });

  it("streams the answer: the text grows in several steps", async () => {
    await page.evaluate(() => {
      const w = window as unknown as { __lengths: number[] };
      w.__lengths = [];
      new MutationObserver(() => {
        const body = [...document.querySelectorAll(".msg-assistant .msg-body")].pop();
        const n = body?.textContent?.length ?? 0;
        if (n > 0 && n !== w.__lengths.at(-1)) w.__lengths.push(n);
      }).observe(document.getElementById("messages")!, { subtree: true, childList: true, characterData: true });
    });
    await page.evaluate(() => document.getElementById("composer")!.removeAttribute("aria-busy"));
    await page.fill("#composer-input", question);
    await page.press("#composer-input", "Enter");
    await page.waitForFunction(() => ((window as unknown as { __lengths: number[] }).__lengths.length ?? 0) >= 3, undefined, { timeout: 30_000 });
    await screenshot(page, "04-chat-streaming");
    await page.waitForSelector('#composer[aria-busy="false"]', { timeout: 60_000 });
    const lengths = await page.evaluate(() => (window as unknown as { __lengths: number[] }).__lengths);
    expect(lengths.length, `answer lengths seen: ${lengths.join(",")}`).toBeGreaterThanOrEqual(5);
    for (let i = 1; i < lengths.length; i++) expect(lengths[i]!).toBeGreaterThan(lengths[i - 1]!);
    expect(await lastAnswer(page)).toContain(DEMO_START);
    expect(await page.textContent(".msg-user .msg-body")).toBe(question);
    expect(await page.textContent("#chat-error")).toBe("");
    // The usage meter is refreshed after the answer; the new conversation is listed.
    await expect.poll(() => page.textContent("#usage-req-text")).toMatch(/^\d+ \/ 10$/);
    await expect.poll(() => page.textContent("#usage-cost-text")).toMatch(/€/);
    await expect.poll(() => page.locator(".conv-item").count()).toBe(1);
    expect(await page.getAttribute(".conv-item .conv-open", "aria-current")).toBe("true");
    await screenshot(page, "05-chat-answered");
  });

  it("after a reload, the session comes back silently and the history is there", async () => {
    await page.reload();
    await page.waitForSelector("#chat-view:not([hidden])", { timeout: 20_000 }).catch(async (e) => {
      throw new Error(`no silent refresh after reload (auth view shown: ${await page.isVisible("#auth-view")}): ${e}`);
    });
    await expect.poll(() => page.locator(".conv-item").count()).toBe(1);
    await page.click(".conv-item .conv-open");
    await page.waitForSelector(".msg-assistant");
    expect(await page.textContent(".msg-user .msg-body")).toBe(question);
    expect(await lastAnswer(page)).toContain(DEMO_START);
    await screenshot(page, "06-history-after-reload");
  });

  it("renames a conversation inline and deletes another after confirmation", async () => {
    await page.click(".conv-item button.icon[aria-label^='Renommer']");
    const input = page.locator(".rename-form input");
    await input.fill("Ma conversation e2e");
    await screenshot(page, "07-rename-inline");
    await input.press("Enter");
    await expect.poll(() => page.textContent(".conv-item .conv-title")).toBe("Ma conversation e2e");
    expect(await page.textContent("#conv-title")).toBe("Ma conversation e2e");

    await page.click("#new-conv");
    expect(await page.locator(".msg").count()).toBe(0);
    await send(page, "Une deuxième question, à supprimer.");
    await expect.poll(() => page.locator(".conv-item").count()).toBe(2);
    const doomed = page.locator(".conv-item.current");
    await doomed.locator("button.icon[aria-label^='Supprimer']").click();
    await page.waitForSelector("#confirm-dialog[open]");
    await screenshot(page, "08-confirm-delete-conversation");
    await page.click("#confirm-ok");
    await expect.poll(() => page.locator(".conv-item").count()).toBe(1);
    expect(await page.textContent(".conv-item .conv-title")).toBe("Ma conversation e2e");
  });

  it("exports the data as a JSON file containing the conversation", async () => {
    await page.click("#settings-open");
    await page.waitForSelector("#settings-dialog[open]");
    expect(await page.textContent("#settings-account")).toContain(email);
    await screenshot(page, "09-settings");
    const [download] = await Promise.all([page.waitForEvent("download", { timeout: 30_000 }), page.click("#export-btn")]).catch(async (e) => {
      throw new Error(`no download; settings error: "${await page.textContent("#settings-error")}" (${e})`);
    });
    expect(download.suggestedFilename()).toMatch(/\.json$/);
    const text = fs.readFileSync((await download.path())!, "utf8");
    const data = JSON.parse(text) as unknown;
    expect(typeof data).toBe("object");
    expect(text).toContain(question);
    expect(text).toContain(email);
    await expect.poll(() => page.textContent("#settings-status")).toContain("Export téléchargé");
    await screenshot(page, "10-export-done");
  });

  it("deletes the account with the password; signing in again is refused", async () => {
    await page.click("#delete-open");
    await page.waitForSelector("#delete-dialog[open]");
    await page.fill("#delete-password", "pas-le-bon-mot-de-passe");
    await page.click("#delete-confirm");
    await expect.poll(() => page.textContent("#delete-error")).toBe("Mot de passe incorrect.");
    expect(await page.isVisible("#chat-view")).toBe(true);
    await page.fill("#delete-password", PASSWORD);
    await screenshot(page, "11-delete-account-dialog");
    await page.click("#delete-confirm");
    await page.waitForSelector("#auth-view:not([hidden])", { timeout: 20_000 }).catch(async (e) => {
      throw new Error(`account deletion failed: "${await page.textContent("#delete-error")}" (${e})`);
    });
    expect(await page.textContent("#auth-notice")).toContain("Votre compte a été supprimé");
    await screenshot(page, "12-account-deleted");

    await page.reload();
    await page.waitForSelector("#auth-view:not([hidden])", { timeout: 20_000 });
    await signIn(page, email);
    await expect.poll(() => page.textContent("#auth-error")).toBe("Adresse e-mail ou mot de passe incorrect.");
    expect(await page.isVisible("#chat-view")).toBe(false);
    await screenshot(page, "13-signin-refused");
    expect(errors.filter((e) => /Content Security Policy/i.test(e)), "no CSP violation").toEqual([]);
  });
});

describe("an answer with active HTML stays inert", () => {
  it("renders the scenario:xss answer without running anything", async () => {
    const { context, page, errors } = await newPage();
    try {
      await page.goto(`${stack.webUrl}/?model=demo-xss`);
      await signUp(page, uniqueEmail("xss"));
      await send(page, "Montre-moi un exemple de HTML.");
      expect(await page.textContent("#chat-error")).toBe("");
      const check = async () => {
        expect(await page.evaluate(() => (window as unknown as { __xss?: unknown }).__xss)).toBeUndefined();
        expect(await page.locator("#messages script").count()).toBe(0);
        expect(await page.locator("img[onerror], [onerror], [onload], [onclick]").count()).toBe(0);
        const onAttrs = await page.evaluate(() =>
          [...document.querySelectorAll("#messages *")].flatMap((n: any) => [...n.attributes].map((a: any) => a.name as string)).filter((a: string) => a.startsWith("on")));
        expect(onAttrs).toEqual([]);
        expect(await page.textContent(".msg-assistant strong")).toBe("fin"); // markdown still rendered
        // The model's raw HTML is shown as text, not interpreted.
        expect(await lastAnswer(page)).toContain('Voici <img src=x onerror="window.__xss=1"> et <script>window.__xss=2</script>');
      };
      await check();
      await screenshot(page, "14-xss-answer-inert");
      // Again from the stored history.
      await page.reload();
      await page.waitForSelector("#chat-view:not([hidden])", { timeout: 20_000 });
      await page.click(".conv-item .conv-open");
      await page.waitForSelector(".msg-assistant");
      await check();
      // Anything CSP had to block would mean the sanitizer let it through.
      expect(errors.filter((e) => /Content Security Policy/i.test(e))).toEqual([]);
    } finally {
      await context.close();
    }
  });
});

describe("rate limit", () => {
  it("a free user's 11th message in an hour gets a plain message with a live countdown", async () => {
    const email = uniqueEmail("ratelimit");
    const reg = await fetch(`${stack.webUrl}/api/auth/register`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ email, password: PASSWORD, consent: { terms: true, version: "2026-11" } }),
    });
    expect(reg.status).toBe(201);
    const { accessToken, user } = (await reg.json()) as { accessToken: string; user: { tier: string } };
    expect(user.tier).toBe("free");
    const statuses: number[] = [];
    for (let i = 0; i < 10; i++) {
      const res = await fetch(`${stack.webUrl}/api/chat`, {
        method: "POST",
        headers: { "content-type": "application/json", authorization: `Bearer ${accessToken}` },
        body: JSON.stringify({ message: `Question numéro ${i + 1}` }),
      });
      statuses.push(res.status);
      await res.text();
      if (res.status === 429) break;
    }

    const { context, page } = await newPage();
    try {
      await page.goto(stack.webUrl);
      await signIn(page, email);
      await page.waitForSelector("#chat-view:not([hidden])", { timeout: 20_000 });
      await send(page, "Encore une question ?");
      const shown = await page.textContent("#chat-error");
      expect(shown, `expected a 429 after 10 requests in the hour (statuses before: ${statuses.join(",")}); is rate limiting built?`)
        .toContain("Vous avez atteint la limite de requêtes");
      const timer = page.locator("#chat-error [role=timer]");
      const first = await timer.textContent();
      expect(first).toMatch(/Nouvel essai possible dans (\d+:)?\d\d:\d\d\./);
      await page.waitForTimeout(2100);
      expect(await timer.textContent(), "the countdown is live").not.toBe(first);
      // The refused message is back in the box, ready to be sent again.
      expect(await page.inputValue("#composer-input")).toBe("Encore une question ?");
      await screenshot(page, "15-rate-limited");
    } finally {
      await context.close();
    }
  });
});

describe("layout and accessibility", () => {
  it("is readable at 375 px, every control is labelled, the keyboard reaches the chat", async () => {
    const { context, page } = await newPage({ width: 375, height: 740 });
    try {
      await page.goto(stack.webUrl);
      await page.waitForSelector("#auth-view:not([hidden])");
      await screenshot(page, "20-mobile-signin");
      const overflow = () => page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
      expect(await overflow()).toBeLessThanOrEqual(0);

      // Sign up with the keyboard only.
      await page.click("#auth-toggle");
      await page.focus("#auth-email");
      await page.keyboard.type(uniqueEmail("mobile"));
      await page.keyboard.press("Tab");
      await page.keyboard.type(PASSWORD);
      await page.keyboard.press("Tab"); // consent checkbox
      expect(await page.evaluate(() => document.activeElement?.id)).toBe("auth-consent");
      await page.keyboard.press("Space");
      expect(await page.isChecked("#auth-consent")).toBe(true);
      await page.keyboard.press("Tab"); // the privacy link inside the label
      expect(await page.evaluate(() => document.activeElement?.getAttribute("href"))).toBe("/privacy.html");
      await page.keyboard.press("Tab");
      expect(await page.evaluate(() => document.activeElement?.id)).toBe("auth-submit");
      await page.keyboard.press("Enter");
      await page.waitForSelector("#chat-view:not([hidden])", { timeout: 20_000 });
      expect(await page.evaluate(() => document.activeElement?.id)).toBe("composer-input");
      await page.keyboard.type("Bonjour depuis un téléphone");
      await page.keyboard.press("Shift+Enter");
      await page.keyboard.type("deuxième ligne");
      expect(await page.inputValue("#composer-input")).toBe("Bonjour depuis un téléphone\ndeuxième ligne");
      await page.evaluate(() => document.getElementById("composer")!.removeAttribute("aria-busy"));
      await page.keyboard.press("Enter");
      await page.waitForSelector('#composer[aria-busy="false"]', { timeout: 60_000 });
      expect(await lastAnswer(page)).toContain(DEMO_START);
      expect(await overflow()).toBeLessThanOrEqual(0);
      await screenshot(page, "21-mobile-chat");
      await page.click("#sidebar-toggle");
      expect(await page.getAttribute("#sidebar-toggle", "aria-expanded")).toBe("true");
      await page.waitForSelector(".conv-item", { timeout: 15_000 }).catch(async (e) => {
        throw new Error(`no conversation listed; error shown: "${await page.textContent("#chat-error")}" (${e})`);
      });
      await screenshot(page, "22-mobile-sidebar");
      await page.keyboard.press("Escape");

      // Focus is visible on a keyboard-focused button.
      await page.focus("#settings-open");
      await page.keyboard.press("Shift+Tab");
      await page.keyboard.press("Tab");
      const outline = await page.evaluate(() => getComputedStyle(document.activeElement!).outlineStyle);
      expect(outline).not.toBe("none");

      // Every visible control has an accessible name.
      const unlabelled = await page.evaluate(() => {
        const named = (e: any) => {
          const el = e as any;
          return !!(el.getAttribute("aria-label")?.trim() || el.getAttribute("aria-labelledby") || el.labels?.length || (el.tagName === "BUTTON" && el.textContent?.trim()));
        };
        return [...document.querySelectorAll("button, input, select, textarea, meter")]
          .filter((e) => !(e as any).closest("[hidden]") && !e.closest("dialog:not([open])") && (e as any).getAttribute("aria-hidden") !== "true")
          .filter((e) => !named(e))
          .map((e) => e.outerHTML.slice(0, 80));
      });
      expect(unlabelled).toEqual([]);

      // English on demand; only the language is stored by the browser.
      await page.selectOption("#lang-select", "en");
      expect(await page.getAttribute("html", "lang")).toBe("en");
      expect(await page.textContent("#ai-banner")).toContain("You are talking to an AI");
      await screenshot(page, "23-mobile-english");
      const stored = await page.evaluate(() => ({ local: { ...localStorage }, session: { ...sessionStorage }, cookie: document.cookie }));
      expect(stored).toEqual({ local: { "unialist.lang": "en" }, session: {}, cookie: "" });
    } finally {
      await context.close();
    }
  });
});
