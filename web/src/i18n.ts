/**
 * French (default) and English strings. Only the chosen language is kept in
 * localStorage; nothing else the app knows is ever stored by the browser.
 */
export type Lang = "fr" | "en";

const fr = {
  skip: "Aller au contenu",
  boot: "Chargement…",
  "lang.label": "Langue",
  "ai.banner": "Vous échangez avec une IA (intelligence artificielle). Ses réponses peuvent contenir des erreurs : vérifiez les informations importantes.",
  "privacy.link": "Politique de confidentialité",

  "auth.signin.title": "Connexion",
  "auth.signup.title": "Créer un compte",
  "auth.signin.submit": "Se connecter",
  "auth.signup.submit": "Créer mon compte",
  "auth.email": "Adresse e-mail",
  "auth.password": "Mot de passe",
  "auth.passwordHint": "Au moins 12 caractères, différent de votre adresse e-mail et pas trop courant.",
  "auth.consentBefore": "J'accepte les ",
  "auth.consentLink": "conditions et la politique de confidentialité",
  "auth.toSignupText": "Pas encore de compte ?",
  "auth.toSignup": "Créer un compte",
  "auth.toSigninText": "Déjà un compte ?",
  "auth.toSignin": "Se connecter",
  "auth.missing": "Saisissez votre adresse e-mail et votre mot de passe.",
  "auth.consentMissing": "Cochez la case pour accepter les conditions.",
  "auth.badCredentials": "Adresse e-mail ou mot de passe incorrect.",
  "auth.emailTaken": "Un compte existe déjà avec cette adresse e-mail. Connectez-vous.",
  "auth.invalidEmail": "L'adresse e-mail n'est pas valide.",
  "auth.passwordRefused": "Mot de passe refusé :",
  "pw.too_short": "il doit contenir au moins 12 caractères",
  "pw.too_long": "il est trop long",
  "pw.contains_email": "il ne doit pas contenir votre adresse e-mail",
  "pw.common": "il est trop courant",
  "pw.repetitive": "il est trop répétitif ou prévisible",
  "auth.signedOut": "Vous êtes déconnecté.",
  "auth.deleted": "Votre compte a été supprimé. Merci d'avoir utilisé Unialist.",
  "auth.working": "Veuillez patienter…",

  "conv.list": "Conversations",
  "conv.new": "Nouvelle conversation",
  "conv.newTitle": "Nouvelle conversation",
  "conv.untitled": "Conversation du {date}",
  "conv.empty": "Aucune conversation pour l'instant.",
  "conv.more": "Afficher plus",
  "conv.toggle": "Conversations",
  "conv.rename": "Renommer",
  "conv.renameLabel": "Renommer « {title} »",
  "conv.renameInput": "Nouveau titre",
  "conv.save": "Enregistrer",
  "conv.delete": "Supprimer",
  "conv.deleteLabel": "Supprimer « {title} »",
  "conv.deleteConfirm": "Supprimer la conversation « {title} » ? Cette action est définitive.",
  "conv.deleted": "Conversation supprimée.",
  "conv.renamed": "Conversation renommée.",
  "conv.current": "(ouverte)",

  "usage.title": "Consommation",
  "usage.requests": "Requêtes cette heure",
  "usage.cost": "Coût ce mois-ci",
  "usage.unlimited": "illimité",
  "usage.budgetWarning": "Vous approchez de votre budget mensuel.",
  "usage.budgetBlocked": "Votre budget mensuel est atteint : le chat est suspendu jusqu'au mois prochain.",
  "usage.inactive": "Votre abonnement est inactif.",

  "chat.empty": "Posez votre question ci-dessous.",
  "chat.label": "Votre message",
  "chat.placeholder": "Écrivez votre message…",
  "chat.hint": "Entrée pour envoyer, Maj+Entrée pour aller à la ligne.",
  "chat.send": "Envoyer",
  "chat.stop": "Arrêter",
  "chat.you": "Vous",
  "chat.assistant": "Assistant (IA)",
  "chat.writing": "L'assistant rédige sa réponse…",
  "chat.done": "Réponse terminée.",
  "chat.stopped": "Réponse arrêtée.",
  "chat.withdrawn": "Ce message a été retiré.",
  "chat.flagged": "Signalé par la modération",
  "chat.loading": "Chargement de la conversation…",

  "settings.open": "Paramètres",
  "settings.title": "Paramètres",
  "settings.account": "Compte : {email} (offre {tier})",
  "settings.export": "Exporter mes données",
  "settings.exporting": "Préparation de l'export…",
  "settings.exported": "Export téléchargé : {file}",
  "settings.delete": "Supprimer mon compte",
  "settings.signout": "Se déconnecter",
  "delete.title": "Supprimer mon compte",
  "delete.desc": "Cette action est définitive : votre compte, vos conversations et vos données seront effacés. Saisissez votre mot de passe pour confirmer.",
  "delete.confirm": "Supprimer définitivement",
  "delete.passwordMissing": "Saisissez votre mot de passe.",
  "delete.wrongPassword": "Mot de passe incorrect.",
  "common.close": "Fermer",
  "common.cancel": "Annuler",
  "common.confirm": "Confirmer",

  "err.rate_limited": "Vous avez atteint la limite de requêtes de votre offre.",
  "err.rate_limited.countdown": "Nouvel essai possible dans {time}.",
  "err.rate_limited.ready": "Vous pouvez réessayer maintenant.",
  "err.budget_exceeded": "Votre budget mensuel est atteint. Le chat reprendra le mois prochain ou après un changement d'offre.",
  "err.subscription_inactive": "Votre abonnement est inactif. Réactivez-le pour continuer à discuter.",
  "err.prompt_injection": "Message refusé : il ressemble à une tentative de détourner les consignes de l'assistant. Reformulez votre demande.",
  "err.content_blocked": "Message refusé par la modération : ce contenu ne peut pas être traité.",
  "err.answer_content_blocked": "La réponse a été interrompue par la modération et retirée de la conversation.",
  "err.provider_unavailable": "Le service d'IA est momentanément indisponible. Réessayez dans quelques instants.",
  "err.output_blocked": "La réponse a été interrompue : elle contenait un contenu qui ne peut pas être affiché.",
  "err.session_expired": "Votre session a expiré. Reconnectez-vous.",
  "err.consent_required": "Vous devez accepter les conditions d'utilisation pour utiliser le chat.",
  "err.invalid_input": "La demande n'est pas valide. Vérifiez votre message.",
  "err.payload_too_large": "Le message est trop long.",
  "err.not_found": "Cette conversation est introuvable (elle a peut-être été supprimée).",
  "err.forbidden": "Action non autorisée.",
  "err.conflict": "Conflit : l'opération n'a pas pu aboutir.",
  "err.network": "Impossible de joindre le serveur. Vérifiez votre connexion et réessayez.",
  "err.interrupted": "La connexion a été coupée avant la fin de la réponse. Réessayez.",
  "err.service_unavailable": "Le service est momentanément indisponible. Réessayez dans quelques instants.",
  "err.internal": "Une erreur est survenue. Réessayez plus tard.",
  "err.unavailable": "Cette fonction n'est pas disponible pour le moment. Réessayez plus tard.",
  "err.reference": "Référence : {id}",
  "err.empty": "Le message est vide.",
};

export type Key = keyof typeof fr;

const en: Record<Key, string> = {
  skip: "Skip to content",
  boot: "Loading…",
  "lang.label": "Language",
  "ai.banner": "You are talking to an AI (artificial intelligence). Its answers may contain mistakes: check important information.",
  "privacy.link": "Privacy policy",

  "auth.signin.title": "Sign in",
  "auth.signup.title": "Create an account",
  "auth.signin.submit": "Sign in",
  "auth.signup.submit": "Create my account",
  "auth.email": "Email address",
  "auth.password": "Password",
  "auth.passwordHint": "At least 12 characters, not your email address and not too common.",
  "auth.consentBefore": "I accept the ",
  "auth.consentLink": "terms and the privacy policy",
  "auth.toSignupText": "No account yet?",
  "auth.toSignup": "Create an account",
  "auth.toSigninText": "Already have an account?",
  "auth.toSignin": "Sign in",
  "auth.missing": "Enter your email address and password.",
  "auth.consentMissing": "Tick the box to accept the terms.",
  "auth.badCredentials": "Wrong email address or password.",
  "auth.emailTaken": "An account already exists with this email address. Sign in instead.",
  "auth.invalidEmail": "The email address is not valid.",
  "auth.passwordRefused": "Password refused:",
  "pw.too_short": "it must be at least 12 characters long",
  "pw.too_long": "it is too long",
  "pw.contains_email": "it must not contain your email address",
  "pw.common": "it is too common",
  "pw.repetitive": "it is too repetitive or predictable",
  "auth.signedOut": "You are signed out.",
  "auth.deleted": "Your account has been deleted. Thank you for using Unialist.",
  "auth.working": "Please wait…",

  "conv.list": "Conversations",
  "conv.new": "New conversation",
  "conv.newTitle": "New conversation",
  "conv.untitled": "Conversation of {date}",
  "conv.empty": "No conversations yet.",
  "conv.more": "Show more",
  "conv.toggle": "Conversations",
  "conv.rename": "Rename",
  "conv.renameLabel": "Rename “{title}”",
  "conv.renameInput": "New title",
  "conv.save": "Save",
  "conv.delete": "Delete",
  "conv.deleteLabel": "Delete “{title}”",
  "conv.deleteConfirm": "Delete the conversation “{title}”? This cannot be undone.",
  "conv.deleted": "Conversation deleted.",
  "conv.renamed": "Conversation renamed.",
  "conv.current": "(open)",

  "usage.title": "Usage",
  "usage.requests": "Requests this hour",
  "usage.cost": "Cost this month",
  "usage.unlimited": "unlimited",
  "usage.budgetWarning": "You are close to your monthly budget.",
  "usage.budgetBlocked": "Your monthly budget is used up: chat is suspended until next month.",
  "usage.inactive": "Your subscription is inactive.",

  "chat.empty": "Ask your question below.",
  "chat.label": "Your message",
  "chat.placeholder": "Write your message…",
  "chat.hint": "Enter to send, Shift+Enter for a new line.",
  "chat.send": "Send",
  "chat.stop": "Stop",
  "chat.you": "You",
  "chat.assistant": "Assistant (AI)",
  "chat.writing": "The assistant is writing its answer…",
  "chat.done": "Answer complete.",
  "chat.stopped": "Answer stopped.",
  "chat.withdrawn": "This message was withdrawn.",
  "chat.flagged": "Flagged by moderation",
  "chat.loading": "Loading the conversation…",

  "settings.open": "Settings",
  "settings.title": "Settings",
  "settings.account": "Account: {email} ({tier} plan)",
  "settings.export": "Export my data",
  "settings.exporting": "Preparing the export…",
  "settings.exported": "Export downloaded: {file}",
  "settings.delete": "Delete my account",
  "settings.signout": "Sign out",
  "delete.title": "Delete my account",
  "delete.desc": "This cannot be undone: your account, conversations and data will be erased. Enter your password to confirm.",
  "delete.confirm": "Delete permanently",
  "delete.passwordMissing": "Enter your password.",
  "delete.wrongPassword": "Wrong password.",
  "common.close": "Close",
  "common.cancel": "Cancel",
  "common.confirm": "Confirm",

  "err.rate_limited": "You have reached the request limit of your plan.",
  "err.rate_limited.countdown": "You can try again in {time}.",
  "err.rate_limited.ready": "You can try again now.",
  "err.budget_exceeded": "Your monthly budget is used up. Chat resumes next month or after a plan change.",
  "err.subscription_inactive": "Your subscription is inactive. Reactivate it to keep chatting.",
  "err.prompt_injection": "Message refused: it looks like an attempt to override the assistant's instructions. Please rephrase.",
  "err.content_blocked": "Message refused by moderation: this content cannot be processed.",
  "err.answer_content_blocked": "The answer was stopped by moderation and withdrawn from the conversation.",
  "err.provider_unavailable": "The AI service is temporarily unavailable. Please try again shortly.",
  "err.output_blocked": "The answer was interrupted: it contained content that cannot be shown.",
  "err.session_expired": "Your session has expired. Please sign in again.",
  "err.consent_required": "You must accept the terms of use to use the chat.",
  "err.invalid_input": "The request is not valid. Check your message.",
  "err.payload_too_large": "The message is too long.",
  "err.not_found": "This conversation cannot be found (it may have been deleted).",
  "err.forbidden": "Action not allowed.",
  "err.conflict": "Conflict: the operation could not be completed.",
  "err.network": "Cannot reach the server. Check your connection and try again.",
  "err.interrupted": "The connection was cut before the end of the answer. Please try again.",
  "err.service_unavailable": "The service is temporarily unavailable. Please try again shortly.",
  "err.internal": "Something went wrong. Please try again later.",
  "err.unavailable": "This feature is not available right now. Please try again later.",
  "err.reference": "Reference: {id}",
  "err.empty": "The message is empty.",
};

const dictionaries: Record<Lang, Record<Key, string>> = { fr, en };
const STORAGE_KEY = "unialist.lang";

function initialLang(): Lang {
  try {
    const stored = localStorage.getItem(STORAGE_KEY);
    if (stored === "fr" || stored === "en") return stored;
  } catch {
    // storage disabled: French
  }
  return "fr";
}

let current: Lang = initialLang();
const listeners = new Set<() => void>();

export const getLang = (): Lang => current;

export function setLang(lang: Lang): void {
  current = lang;
  try {
    localStorage.setItem(STORAGE_KEY, lang);
  } catch {
    // in memory only
  }
  document.documentElement.lang = lang;
  for (const fn of listeners) fn();
}

export const onLangChange = (fn: () => void): void => void listeners.add(fn);

export function isKey(key: string): key is Key {
  return key in fr;
}

/** The string for `key` with `{name}` placeholders filled in. */
export function t(key: Key, vars: Record<string, string | number> = {}): string {
  const text = dictionaries[current][key] ?? fr[key];
  return text.replace(/\{(\w+)\}/g, (m, name: string) => (name in vars ? String(vars[name]) : m));
}

/** Fills `data-i18n` (text) and `data-i18n-placeholder` / `data-i18n-aria-label` attributes. */
export function translateDom(root: ParentNode = document): void {
  for (const el of root.querySelectorAll<HTMLElement>("[data-i18n]")) {
    const key = el.dataset.i18n!;
    if (isKey(key)) el.textContent = t(key);
  }
  for (const [attr, data] of [["placeholder", "i18nPlaceholder"], ["aria-label", "i18nAriaLabel"]] as const) {
    for (const el of root.querySelectorAll<HTMLElement>(`[data-${attr === "placeholder" ? "i18n-placeholder" : "i18n-aria-label"}]`)) {
      const key = el.dataset[data]!;
      if (isKey(key)) el.setAttribute(attr, t(key));
    }
  }
}

export function formatEur(value: number): string {
  return new Intl.NumberFormat(current === "fr" ? "fr-FR" : "en-GB", {
    style: "currency", currency: "EUR", minimumFractionDigits: 2, maximumFractionDigits: value > 0 && value < 0.01 ? 4 : 2,
  }).format(value);
}

export function formatDate(iso: string): string {
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return iso;
  return new Intl.DateTimeFormat(current === "fr" ? "fr-FR" : "en-GB", { dateStyle: "medium", timeStyle: "short" }).format(d);
}

/** "mm:ss" or "h:mm:ss". */
export function formatCountdown(ms: number): string {
  const total = Math.max(0, Math.ceil(ms / 1000));
  const h = Math.floor(total / 3600);
  const m = Math.floor((total % 3600) / 60);
  const s = total % 60;
  const pad = (n: number) => String(n).padStart(2, "0");
  return h > 0 ? `${h}:${pad(m)}:${pad(s)}` : `${pad(m)}:${pad(s)}`;
}
