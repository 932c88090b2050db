/**
 * Unialist web chat: sign up / sign in, streamed chat, conversation list, usage meter,
 * settings (export, account deletion, sign out). Vanilla DOM; no inline script or handler
 * anywhere (CSP script-src 'self').
 */
import * as api from "./api";
import { ApiError, type ConversationSummary, type Me, type StoredMessage } from "./api";
import { formatCountdown, formatDate, formatEur, getLang, onLangChange, setLang, t, translateDom, type Key, type Lang } from "./i18n";
import { renderInto } from "./markdown";

// --- DOM ------------------------------------------------------------------------------------

function $<T extends HTMLElement = HTMLElement>(id: string): T {
  const el = document.getElementById(id);
  if (!el) throw new Error(`#${id} missing`);
  return el as T;
}

function h<K extends keyof HTMLElementTagNameMap>(tag: K, attrs: Record<string, string> = {}, text?: string): HTMLElementTagNameMap[K] {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) el.setAttribute(k, v);
  if (text !== undefined) el.textContent = text;
  return el;
}

const el = {
  boot: $("boot-status"),
  langSelect: $<HTMLSelectElement>("lang-select"),
  settingsOpen: $<HTMLButtonElement>("settings-open"),
  authView: $("auth-view"),
  authTitle: $("auth-title"),
  authNotice: $("auth-notice"),
  authForm: $<HTMLFormElement>("auth-form"),
  authEmail: $<HTMLInputElement>("auth-email"),
  authPassword: $<HTMLInputElement>("auth-password"),
  passwordHint: $("password-hint"),
  consentRow: $("consent-row"),
  consent: $<HTMLInputElement>("auth-consent"),
  authError: $("auth-error"),
  authSubmit: $<HTMLButtonElement>("auth-submit"),
  authSwitchText: $("auth-switch-text"),
  authToggle: $<HTMLButtonElement>("auth-toggle"),
  chatView: $("chat-view"),
  sidebar: $("sidebar"),
  sidebarToggle: $<HTMLButtonElement>("sidebar-toggle"),
  newConv: $<HTMLButtonElement>("new-conv"),
  convList: $<HTMLUListElement>("conv-list"),
  convEmpty: $("conv-empty"),
  convMore: $<HTMLButtonElement>("conv-more"),
  usageReq: $<HTMLMeterElement>("usage-req"),
  usageReqText: $("usage-req-text"),
  usageCost: $<HTMLMeterElement>("usage-cost"),
  usageCostText: $("usage-cost-text"),
  budgetNotice: $("budget-notice"),
  convTitle: $("conv-title"),
  messages: $("messages"),
  messagesEmpty: $("messages-empty"),
  chatError: $("chat-error"),
  chatStatus: $("chat-status"),
  composer: $<HTMLFormElement>("composer"),
  input: $<HTMLTextAreaElement>("composer-input"),
  send: $<HTMLButtonElement>("send-btn"),
  stop: $<HTMLButtonElement>("stop-btn"),
  settingsDialog: $<HTMLDialogElement>("settings-dialog"),
  settingsAccount: $("settings-account"),
  settingsStatus: $("settings-status"),
  settingsError: $("settings-error"),
  exportBtn: $<HTMLButtonElement>("export-btn"),
  deleteOpen: $<HTMLButtonElement>("delete-open"),
  signout: $<HTMLButtonElement>("signout-btn"),
  settingsClose: $<HTMLButtonElement>("settings-close"),
  deleteDialog: $<HTMLDialogElement>("delete-dialog"),
  deleteForm: $<HTMLFormElement>("delete-form"),
  deletePassword: $<HTMLInputElement>("delete-password"),
  deleteError: $("delete-error"),
  deleteCancel: $<HTMLButtonElement>("delete-cancel"),
  deleteConfirm: $<HTMLButtonElement>("delete-confirm"),
  confirmDialog: $<HTMLDialogElement>("confirm-dialog"),
  confirmText: $("confirm-text"),
  confirmOk: $<HTMLButtonElement>("confirm-ok"),
  confirmCancel: $<HTMLButtonElement>("confirm-cancel"),
};

// --- state ----------------------------------------------------------------------------------

type AuthMode = "signin" | "signup";

const state = {
  authMode: "signin" as AuthMode,
  conversations: [] as ConversationSummary[],
  nextCursor: null as string | null,
  currentId: null as string | null,
  streaming: null as AbortController | null,
  me: null as Me | null,
  /** Re-rendered on a language change. */
  chatError: null as unknown,
  countdown: 0 as number,
  authNoticeKey: null as Key | null,
  /** Hidden model choice for demos and tests: ?model=<id from the Worker's allowlist>. */
  model: (() => {
    const m = new URLSearchParams(location.search).get("model");
    return m && /^[\w.:-]{1,64}$/.test(m) ? m : undefined;
  })(),
};

// --- errors in plain words ------------------------------------------------------------------------

const ERROR_KEYS: Record<string, Key> = {
  rate_limited: "err.rate_limited",
  budget_exceeded: "err.budget_exceeded",
  subscription_inactive: "err.subscription_inactive",
  prompt_injection: "err.prompt_injection",
  content_blocked: "err.content_blocked",
  provider_unavailable: "err.provider_unavailable",
  output_blocked: "err.output_blocked",
  session_expired: "err.session_expired",
  unauthorized: "err.session_expired",
  consent_required: "err.consent_required",
  invalid_input: "err.invalid_input",
  payload_too_large: "err.payload_too_large",
  not_found: "err.not_found",
  forbidden: "err.forbidden",
  conflict: "err.conflict",
  network: "err.network",
  interrupted: "err.interrupted",
  service_unavailable: "err.service_unavailable",
};

function errorText(err: unknown): string {
  if (err instanceof ApiError) {
    const key = ERROR_KEYS[err.code] ?? "err.internal";
    let text = t(key);
    if (key === "err.internal" && err.requestId) text += ` ${t("err.reference", { id: err.requestId })}`;
    return text;
  }
  return t("err.internal");
}

function clearCountdown(): void {
  if (state.countdown) window.clearInterval(state.countdown);
  state.countdown = 0;
}

/** Shows an error in the chat's alert region; a 429 gets a live countdown to the reset. */
function showChatError(err: unknown, key?: Key): void {
  state.chatError = err;
  clearCountdown();
  el.chatError.replaceChildren();
  if (err === null) return;
  el.chatError.append(h("span", {}, key ? t(key) : errorText(err)));
  if (err instanceof ApiError && err.code === "rate_limited" && err.resetAt) {
    const resetAt = err.resetAt;
    const timer = h("span", { role: "timer", class: "countdown" });
    el.chatError.append(" ", timer);
    const tick = () => {
      const left = resetAt - Date.now();
      if (left <= 0) {
        timer.textContent = t("err.rate_limited.ready");
        clearCountdown();
      } else {
        timer.textContent = t("err.rate_limited.countdown", { time: formatCountdown(left) });
      }
    };
    tick();
    if (resetAt > Date.now()) state.countdown = window.setInterval(tick, 1000);
  }
}

function setAlert(target: HTMLElement, text: string | null): void {
  target.textContent = text ?? "";
}

// --- views ----------------------------------------------------------------------------------

function showView(view: "boot" | "auth" | "chat"): void {
  el.boot.hidden = view !== "boot";
  el.authView.hidden = view !== "auth";
  el.chatView.hidden = view !== "chat";
  el.settingsOpen.hidden = view !== "chat";
}

function renderAuthMode(): void {
  const signup = state.authMode === "signup";
  el.authTitle.textContent = t(signup ? "auth.signup.title" : "auth.signin.title");
  el.authSubmit.textContent = t(signup ? "auth.signup.submit" : "auth.signin.submit");
  el.authSwitchText.textContent = t(signup ? "auth.toSigninText" : "auth.toSignupText");
  el.authToggle.textContent = t(signup ? "auth.toSignin" : "auth.toSignup");
  el.consentRow.hidden = !signup;
  el.passwordHint.hidden = !signup;
  el.authPassword.autocomplete = signup ? "new-password" : "current-password";
  el.authSubmit.disabled = signup && !el.consent.checked;
  el.authNotice.textContent = state.authNoticeKey ? t(state.authNoticeKey) : "";
}

function showAuth(mode: AuthMode, notice: Key | null = null, error: string | null = null): void {
  state.authMode = mode;
  state.authNoticeKey = notice;
  resetChat();
  showView("auth");
  renderAuthMode();
  setAlert(el.authError, error);
  el.authPassword.value = "";
  el.authEmail.focus();
}

function resetChat(): void {
  state.streaming?.abort();
  state.streaming = null;
  state.conversations = [];
  state.nextCursor = null;
  state.currentId = null;
  state.me = null;
  showChatError(null);
  clearMessages();
  el.convList.replaceChildren();
  el.input.value = "";
  for (const d of [el.settingsDialog, el.deleteDialog, el.confirmDialog]) if (d.open) d.close();
}

async function enterChat(): Promise<void> {
  showView("chat");
  state.authNoticeKey = null;
  el.convTitle.textContent = t("conv.newTitle");
  el.input.focus();
  await Promise.all([loadConversations(true), refreshUsage()]);
}

// --- auth -----------------------------------------------------------------------------------

function authErrorText(err: unknown): string {
  if (!(err instanceof ApiError)) return t("err.internal");
  if (state.authMode === "signin" && (err.code === "unauthorized" || err.status === 401)) return t("auth.badCredentials");
  if (err.code === "conflict") return t("auth.emailTaken");
  if (err.code === "invalid_input") {
    const problems = err.details?.problems;
    if (Array.isArray(problems) && problems.length) {
      const words = problems.map((p) => (typeof p === "string" && `pw.${p}` in PW_KEYS ? t(PW_KEYS[`pw.${p}`]!) : null)).filter(Boolean);
      if (words.length) return `${t("auth.passwordRefused")} ${words.join(" ; ")}.`;
    }
    const issues = err.details?.issues;
    if (Array.isArray(issues) && issues.some((i) => (i as { path?: string })?.path === "email")) return t("auth.invalidEmail");
  }
  return errorText(err);
}

const PW_KEYS: Record<string, Key> = {
  "pw.too_short": "pw.too_short",
  "pw.too_long": "pw.too_long",
  "pw.contains_email": "pw.contains_email",
  "pw.common": "pw.common",
  "pw.repetitive": "pw.repetitive",
};

async function onAuthSubmit(ev: SubmitEvent): Promise<void> {
  ev.preventDefault();
  const email = el.authEmail.value.trim();
  const password = el.authPassword.value;
  setAlert(el.authError, null);
  if (!email || !password) return setAlert(el.authError, t("auth.missing"));
  if (state.authMode === "signup" && !el.consent.checked) return setAlert(el.authError, t("auth.consentMissing"));
  el.authSubmit.disabled = true;
  el.authForm.setAttribute("aria-busy", "true");
  try {
    if (state.authMode === "signup") await api.register(email, password);
    else await api.login(email, password);
    el.authPassword.value = "";
    el.consent.checked = false;
    await enterChat();
  } catch (e) {
    setAlert(el.authError, authErrorText(e));
    el.authPassword.focus();
  } finally {
    el.authForm.removeAttribute("aria-busy");
    el.authSubmit.disabled = state.authMode === "signup" && !el.consent.checked;
  }
}

// --- usage meter ------------------------------------------------------------------------------

async function refreshUsage(): Promise<void> {
  try {
    state.me = await api.getMe();
    renderUsage();
  } catch {
    // the meter stays as it was; errors of the chat itself are shown elsewhere
  }
}

function renderUsage(): void {
  const me = state.me;
  if (!me) return;
  const used = me.usage.requestsThisHour;
  const limit = me.limits.requestsPerHour;
  el.usageReq.max = Math.max(1, limit);
  el.usageReq.value = Math.min(used, limit);
  el.usageReq.low = limit * 0.7;
  el.usageReq.high = limit * 0.9;
  el.usageReq.optimum = 0;
  el.usageReqText.textContent = `${used} / ${limit}`;
  const cost = me.usage.costThisMonthEur;
  const budget = me.limits.budgetEur;
  if (budget === null) {
    el.usageCost.hidden = true;
    el.usageCostText.textContent = `${formatEur(cost)} (${t("usage.unlimited")})`;
  } else {
    el.usageCost.hidden = false;
    el.usageCost.max = Math.max(budget, 0.0001);
    el.usageCost.value = Math.min(cost, budget);
    el.usageCost.low = budget * 0.7;
    el.usageCost.high = budget * 0.9;
    el.usageCostText.textContent = `${formatEur(cost)} / ${formatEur(budget)}`;
  }
  const notice: Key | null = me.budget?.blocked
    ? "usage.budgetBlocked"
    : !me.subscriptionActive
      ? "usage.inactive"
      : me.budget?.warning
        ? "usage.budgetWarning"
        : null;
  el.budgetNotice.textContent = notice ? t(notice) : "";
  el.budgetNotice.classList.toggle("warning", notice !== null);
}

// --- conversation list -------------------------------------------------------------------------

const titleOf = (c: ConversationSummary): string => c.title?.trim() || t("conv.untitled", { date: formatDate(c.createdAt) });

async function loadConversations(reset: boolean): Promise<void> {
  try {
    const page = await api.listConversations(reset ? undefined : (state.nextCursor ?? undefined));
    state.conversations = reset ? page.conversations : [...state.conversations, ...page.conversations];
    state.nextCursor = page.nextCursor ?? null;
    renderConversationList();
  } catch (e) {
    if (!(e instanceof ApiError && e.code === "session_expired")) showChatError(e);
  }
}

function renderConversationList(): void {
  const focusedId = (document.activeElement as HTMLElement | null)?.closest<HTMLElement>(".conv-item")?.dataset.id;
  el.convList.replaceChildren(...state.conversations.map(conversationItem));
  el.convEmpty.hidden = state.conversations.length > 0;
  el.convMore.hidden = !state.nextCursor;
  const current = state.conversations.find((c) => c.id === state.currentId);
  if (current) el.convTitle.textContent = titleOf(current);
  if (focusedId) el.convList.querySelector<HTMLElement>(`.conv-item[data-id="${CSS.escape(focusedId)}"] .conv-open`)?.focus();
}

function conversationItem(c: ConversationSummary): HTMLLIElement {
  const li = h("li", { class: "conv-item" });
  li.dataset.id = c.id;
  const title = titleOf(c);
  const open = h("button", { type: "button", class: "conv-open" });
  open.append(h("span", { class: "conv-title" }, title), h("span", { class: "conv-date" }, formatDate(c.updatedAt)));
  if (c.id === state.currentId) {
    li.classList.add("current");
    open.setAttribute("aria-current", "true");
  }
  open.addEventListener("click", () => void openConversation(c.id));
  const rename = h("button", { type: "button", class: "icon", "aria-label": t("conv.renameLabel", { title }), title: t("conv.rename") }, "✎");
  rename.addEventListener("click", () => startRename(li, c));
  const del = h("button", { type: "button", class: "icon danger-icon", "aria-label": t("conv.deleteLabel", { title }), title: t("conv.delete") }, "✕");
  del.addEventListener("click", () => void removeConversation(c));
  li.append(open, rename, del);
  return li;
}

function startRename(li: HTMLLIElement, c: ConversationSummary): void {
  const form = h("form", { class: "rename-form" });
  const input = h("input", { type: "text", maxlength: "200", "aria-label": t("conv.renameInput"), required: "" });
  input.value = c.title ?? "";
  const save = h("button", { type: "submit" }, t("conv.save"));
  const cancel = h("button", { type: "button", class: "secondary" }, t("common.cancel"));
  const restore = () => {
    renderConversationList();
    el.convList.querySelector<HTMLElement>(`.conv-item[data-id="${CSS.escape(c.id)}"] .conv-open`)?.focus();
  };
  form.addEventListener("submit", async (ev) => {
    ev.preventDefault();
    const title = input.value.trim();
    if (!title) return input.focus();
    save.disabled = true;
    try {
      const res = await api.renameConversation(c.id, title);
      c.title = res.title;
      if (c.id === state.currentId) el.convTitle.textContent = titleOf(c);
      el.chatStatus.textContent = t("conv.renamed");
      restore();
    } catch (e) {
      showChatError(e);
      save.disabled = false;
    }
  });
  input.addEventListener("keydown", (ev) => {
    if (ev.key === "Escape") {
      ev.preventDefault();
      restore();
    }
  });
  cancel.addEventListener("click", restore);
  form.append(input, save, cancel);
  li.replaceChildren(form);
  input.focus();
  input.select();
}

/** A modal confirmation; resolves true when confirmed. */
function confirmAction(text: string): Promise<boolean> {
  const dialog = el.confirmDialog;
  el.confirmText.textContent = text;
  dialog.returnValue = "";
  return new Promise((resolve) => {
    const done = (ok: boolean) => {
      el.confirmOk.removeEventListener("click", onOk);
      el.confirmCancel.removeEventListener("click", onCancel);
      dialog.removeEventListener("close", onClose);
      if (dialog.open) dialog.close();
      resolve(ok);
    };
    const onOk = () => done(true);
    const onCancel = () => done(false);
    const onClose = () => done(false);
    el.confirmOk.addEventListener("click", onOk);
    el.confirmCancel.addEventListener("click", onCancel);
    dialog.addEventListener("close", onClose);
    dialog.showModal();
    el.confirmCancel.focus();
  });
}

async function removeConversation(c: ConversationSummary): Promise<void> {
  if (!(await confirmAction(t("conv.deleteConfirm", { title: titleOf(c) })))) return;
  try {
    await api.deleteConversation(c.id);
    state.conversations = state.conversations.filter((x) => x.id !== c.id);
    if (state.currentId === c.id) newConversation();
    renderConversationList();
    el.chatStatus.textContent = t("conv.deleted");
    (el.convList.querySelector<HTMLElement>(".conv-open") ?? el.newConv).focus();
  } catch (e) {
    showChatError(e);
  }
}

function setSidebarOpen(open: boolean): void {
  el.sidebar.classList.toggle("open", open);
  el.sidebarToggle.setAttribute("aria-expanded", String(open));
}

// --- messages ---------------------------------------------------------------------------------

function clearMessages(): void {
  el.messages.replaceChildren(el.messagesEmpty);
  el.messagesEmpty.hidden = false;
}

interface MessageView {
  article: HTMLElement;
  body: HTMLElement;
}

function addMessage(role: "user" | "assistant", content: string, opts: { withdrawn?: boolean; flagged?: boolean; disclaimer?: string } = {}): MessageView {
  el.messagesEmpty.hidden = true;
  const article = h("article", { class: `msg msg-${role}` });
  article.append(h("p", { class: "msg-role" }, t(role === "user" ? "chat.you" : "chat.assistant")));
  if (opts.disclaimer) article.append(h("p", { class: "msg-disclaimer" }, opts.disclaimer));
  const body = h("div", { class: role === "assistant" ? "msg-body markdown" : "msg-body plain" });
  if (opts.withdrawn) {
    article.classList.add("withdrawn");
    body.append(h("p", { class: "msg-flag" }, t("chat.withdrawn")));
  } else if (role === "assistant") {
    renderInto(body, content);
  } else {
    body.textContent = content; // the user's own text, never parsed as HTML
  }
  article.append(body);
  if (opts.flagged) {
    article.classList.add("flagged");
    article.append(h("p", { class: "msg-flag" }, t("chat.flagged")));
  }
  el.messages.append(article);
  return { article, body };
}

function scrollToEnd(): void {
  el.messages.scrollTop = el.messages.scrollHeight;
}

function newConversation(): void {
  state.streaming?.abort();
  state.currentId = null;
  clearMessages();
  showChatError(null);
  el.convTitle.textContent = t("conv.newTitle");
  renderConversationList();
  setSidebarOpen(false);
  el.input.focus();
}

async function openConversation(id: string): Promise<void> {
  state.streaming?.abort();
  showChatError(null);
  el.chatStatus.textContent = t("chat.loading");
  el.messages.setAttribute("aria-busy", "true");
  try {
    const conv = await api.getConversation(id);
    state.currentId = conv.id;
    clearMessages();
    el.convTitle.textContent = titleOf(conv);
    for (const m of conv.messages as StoredMessage[]) addMessage(m.role, m.content, { withdrawn: m.withdrawn, flagged: m.flagged });
    renderConversationList();
    setSidebarOpen(false);
    scrollToEnd();
    el.chatStatus.textContent = "";
  } catch (e) {
    showChatError(e);
  } finally {
    el.messages.removeAttribute("aria-busy");
  }
}

function setStreaming(on: boolean): void {
  el.send.hidden = on;
  el.stop.hidden = !on;
  el.composer.setAttribute("aria-busy", String(on));
}

async function sendMessage(): Promise<void> {
  if (state.streaming) return;
  const message = el.input.value.trim();
  if (!message) {
    showChatError(null);
    el.chatError.textContent = t("err.empty");
    return;
  }
  showChatError(null);
  el.input.value = "";
  const user = addMessage("user", message);
  const answer = addMessage("assistant", "");
  answer.body.setAttribute("aria-busy", "true");
  scrollToEnd();
  const controller = new AbortController();
  state.streaming = controller;
  setStreaming(true);
  el.chatStatus.textContent = t("chat.writing");

  let text = "";
  let started = false;
  let renderTimer = 0;
  const render = () => {
    renderTimer = 0;
    renderInto(answer.body, text);
    scrollToEnd();
  };
  try {
    await api.chat({ message, conversationId: state.currentId ?? undefined, model: state.model }, {
      onMeta(meta) {
        started = true;
        if (meta.conversationId && state.currentId === null) state.currentId = meta.conversationId;
        if (meta.disclaimer) answer.article.insertBefore(h("p", { class: "msg-disclaimer" }, meta.disclaimer), answer.body);
      },
      onDelta(delta) {
        text += delta;
        // Re-rendered (markdown, sanitized) at most every 50 ms while it streams.
        if (!renderTimer) renderTimer = window.setTimeout(render, 50);
      },
      onDone() {
        // nothing else: the final render happens below
      },
    }, controller.signal);
    if (renderTimer) window.clearTimeout(renderTimer);
    render();
    el.chatStatus.textContent = t("chat.done");
  } catch (e) {
    if (renderTimer) window.clearTimeout(renderTimer);
    if (text) render();
    const aborted = (e as Error)?.name === "AbortError";
    if (!started && !aborted) {
      // Refused before any answer: take the message back so it can be sent again.
      user.article.remove();
      answer.article.remove();
      if (!el.input.value) el.input.value = message;
      if (!el.messages.querySelector(".msg")) el.messagesEmpty.hidden = false;
    } else {
      answer.article.classList.add("interrupted");
    }
    if (started && e instanceof ApiError && e.code === "content_blocked") {
      // The part already shown is withdrawn on the server too.
      answer.article.classList.add("withdrawn");
      el.chatStatus.textContent = "";
      showChatError(e, "err.answer_content_blocked");
    } else if (aborted) {
      el.chatStatus.textContent = t("chat.stopped");
    } else if (!(e instanceof ApiError && e.code === "session_expired")) {
      el.chatStatus.textContent = "";
      showChatError(e);
    }
  } finally {
    answer.body.removeAttribute("aria-busy");
    if (state.streaming === controller) {
      state.streaming = null;
      setStreaming(false);
    }
    if (api.isSignedIn()) {
      void refreshUsage();
      if (state.currentId) void loadConversations(true); // new conversation, or a new updatedAt order
    }
    if (!el.chatView.hidden && document.activeElement === document.body) el.input.focus();
  }
}

// --- settings --------------------------------------------------------------------------------

function openSettings(): void {
  const user = api.getUser();
  el.settingsAccount.textContent = user ? t("settings.account", { email: user.email, tier: user.tier }) : "";
  el.settingsStatus.textContent = "";
  el.settingsError.textContent = "";
  el.settingsDialog.showModal();
  el.exportBtn.focus();
}

async function exportData(): Promise<void> {
  el.settingsError.textContent = "";
  el.settingsStatus.textContent = t("settings.exporting");
  el.exportBtn.disabled = true;
  try {
    const file = await api.exportData();
    const href = URL.createObjectURL(file.blob);
    const a = h("a", { href, download: file.filename, class: "visually-hidden" });
    document.body.append(a);
    a.click();
    a.remove();
    window.setTimeout(() => URL.revokeObjectURL(href), 60_000);
    el.settingsStatus.textContent = t("settings.exported", { file: file.filename });
  } catch (e) {
    el.settingsStatus.textContent = "";
    el.settingsError.textContent = accountErrorText(e);
  } finally {
    el.exportBtn.disabled = false;
  }
}

/** Export / deletion errors: a missing endpoint is "unavailable", not a missing conversation. */
function accountErrorText(e: unknown): string {
  if (e instanceof ApiError && ["not_found", "method_not_allowed"].includes(e.code)) return t("err.unavailable");
  return errorText(e);
}

function openDeleteDialog(): void {
  // For password managers: which account this password belongs to.
  $<HTMLInputElement>("delete-username").value = api.getUser()?.email ?? "";
  el.deletePassword.value = "";
  el.deleteError.textContent = "";
  el.deleteDialog.showModal();
  el.deletePassword.focus();
}

async function onDeleteSubmit(ev: SubmitEvent): Promise<void> {
  ev.preventDefault();
  const password = el.deletePassword.value;
  if (!password) {
    el.deleteError.textContent = t("delete.passwordMissing");
    return el.deletePassword.focus();
  }
  el.deleteConfirm.disabled = true;
  el.deleteError.textContent = "";
  try {
    await api.deleteAccount(password);
    el.deletePassword.value = "";
    showAuth("signin", "auth.deleted");
  } catch (e) {
    if (e instanceof ApiError && e.code === "session_expired") return;
    el.deleteError.textContent = e instanceof ApiError && (e.code === "unauthorized" || e.code === "forbidden") ? t("delete.wrongPassword") : accountErrorText(e);
    el.deletePassword.select();
  } finally {
    el.deleteConfirm.disabled = false;
  }
}

async function signOut(): Promise<void> {
  await api.logout();
  showAuth("signin", "auth.signedOut");
}

// --- language ----------------------------------------------------------------------------------

function applyLanguage(): void {
  document.documentElement.lang = getLang();
  el.langSelect.value = getLang();
  translateDom();
  renderAuthMode();
  renderUsage();
  if (!el.chatView.hidden) {
    renderConversationList();
    const current = state.conversations.find((c) => c.id === state.currentId);
    el.convTitle.textContent = current ? titleOf(current) : t("conv.newTitle");
    for (const role of el.messages.querySelectorAll<HTMLElement>(".msg-role")) {
      role.textContent = t(role.closest(".msg-user") ? "chat.you" : "chat.assistant");
    }
  }
  if (state.chatError) showChatError(state.chatError);
}

// --- wiring --------------------------------------------------------------------------------------

function wire(): void {
  el.langSelect.addEventListener("change", () => setLang(el.langSelect.value as Lang));
  onLangChange(applyLanguage);

  el.authForm.addEventListener("submit", (ev) => void onAuthSubmit(ev));
  el.authToggle.addEventListener("click", () => {
    state.authMode = state.authMode === "signin" ? "signup" : "signin";
    state.authNoticeKey = null;
    setAlert(el.authError, null);
    renderAuthMode();
    el.authEmail.focus();
  });
  el.consent.addEventListener("change", () => {
    el.authSubmit.disabled = state.authMode === "signup" && !el.consent.checked;
  });

  el.composer.addEventListener("submit", (ev) => {
    ev.preventDefault();
    void sendMessage();
  });
  el.input.addEventListener("keydown", (ev) => {
    if (ev.key === "Enter" && !ev.shiftKey && !ev.isComposing) {
      ev.preventDefault();
      void sendMessage();
    }
  });
  el.stop.addEventListener("click", () => state.streaming?.abort());
  el.newConv.addEventListener("click", newConversation);
  el.convMore.addEventListener("click", () => void loadConversations(false));
  el.sidebarToggle.addEventListener("click", () => {
    const open = !el.sidebar.classList.contains("open");
    setSidebarOpen(open);
    if (open) el.newConv.focus();
  });
  $("sidebar-close").addEventListener("click", () => {
    setSidebarOpen(false);
    el.sidebarToggle.focus();
  });
  el.sidebar.addEventListener("keydown", (ev) => {
    if (ev.key === "Escape" && el.sidebar.classList.contains("open")) {
      setSidebarOpen(false);
      el.sidebarToggle.focus();
    }
  });

  el.settingsOpen.addEventListener("click", openSettings);
  el.settingsClose.addEventListener("click", () => el.settingsDialog.close());
  el.exportBtn.addEventListener("click", () => void exportData());
  el.deleteOpen.addEventListener("click", openDeleteDialog);
  el.deleteCancel.addEventListener("click", () => el.deleteDialog.close());
  el.deleteForm.addEventListener("submit", (ev) => void onDeleteSubmit(ev));
  el.signout.addEventListener("click", () => void signOut());

  api.setSessionLostHandler(() => showAuth("signin", null, t("err.session_expired")));
}

async function boot(): Promise<void> {
  wire();
  applyLanguage();
  showView("boot");
  // The refresh cookie is HttpOnly: a silent refresh is the only way to know if a session exists.
  if (await api.refresh()) await enterChat();
  else showAuth("signin");
}

void boot();
