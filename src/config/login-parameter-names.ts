/** The authorization request parameters a browser may choose at /auth/login (LOGIN_FORWARD_PARAMS picks which). */
export const LOGIN_PARAMETERS = ['prompt', 'max_age', 'acr_values', 'login_hint', 'ui_locales'] as const;
export type LoginParameter = (typeof LOGIN_PARAMETERS)[number];
