// Types of bin/icu-locales.js (plain JavaScript, as the executable is), for its tests.
export const serviceLocales: readonly string[];
export function icuDataFolderName(icuVersion?: string, endian?: 'LE' | 'BE'): string | undefined;
export function localeIndex(locales: readonly string[]): Buffer;
export function localeListFolder(folder: string): string | undefined;
