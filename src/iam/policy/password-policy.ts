/**
 * The account's default password policy, which IAM applies when no custom policy is set
 * (IAM User Guide, "Setting an account password policy": 8 to 128 characters, at least three
 * of upper case, lower case, digits and symbols, and not the user's or account's name).
 * Custom policies (UpdateAccountPasswordPolicy) are not emulated.
 *
 * @example
 * ```ts
 * passwordProblem('Correct-Horse-42', 'alice'); // undefined: acceptable
 * ```
 */

/** Why `password` breaks the default policy, or undefined when it meets it. */
export function passwordProblem(password: string, userName: string, accountId: string): string | undefined {
  if (password.length < 8) return 'shorter than 8 characters';
  if (password.length > 128) return 'longer than 128 characters';
  const classes = [/[A-Z]/, /[a-z]/, /[0-9]/, /[^A-Za-z0-9]/].filter((r) => r.test(password)).length;
  if (classes < 3) return 'fewer than three of: upper case, lower case, digits, symbols';
  const lower = password.toLowerCase();
  if (lower === userName.toLowerCase() || lower === accountId) return "the user's or the account's name";
  return undefined;
}
