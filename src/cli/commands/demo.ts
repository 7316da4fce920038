/** Placeholder replaced below once the OTP core exists. */
export async function run(): Promise<number> { return 0; }
