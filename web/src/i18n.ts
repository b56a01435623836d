import i18n from 'i18next';
import { initReactI18next } from 'react-i18next';
import { en } from './locales/en';
import { zhCN } from './locales/zh-CN';

const LANG_KEY = 'jishi_lang';

/** The chosen language, else the browser's: Chinese for any zh-*, English otherwise. */
export function initialLanguage(): 'zh-CN' | 'en' {
  const chosen = typeof localStorage !== 'undefined' ? localStorage.getItem(LANG_KEY) : null;
  if (chosen === 'en' || chosen === 'zh-CN') return chosen;
  const browser =
    typeof navigator !== 'undefined' ? (navigator.languages?.[0] ?? navigator.language) : 'zh-CN';
  return browser?.toLowerCase().startsWith('zh') ? 'zh-CN' : 'en';
}

export function setLanguage(lang: string) {
  localStorage.setItem(LANG_KEY, lang);
  void i18n.changeLanguage(lang);
}

void i18n.use(initReactI18next).init({
  resources: { 'zh-CN': { translation: zhCN }, en: { translation: en } },
  lng: initialLanguage(),
  fallbackLng: 'zh-CN',
  interpolation: { escapeValue: false },
  returnNull: false,
});

export default i18n;
