/** The endpoint's dispatch table: every action it serves, by its wire name. */
import type { ActionSpec } from './action.js';
import { CreateAccessKey, DeleteAccessKey, ListAccessKeys } from './access-keys.js';
import { CreateLoginProfile, DeleteLoginProfile, GetLoginProfile } from './login-profiles.js';
import { DeactivateMFADevice, EnableMFADevice, ListMFADevices, ResyncMFADevice } from './mfa-devices.js';
import { CreateRole, DeleteRole, GetRole } from './roles.js';
import { AssumeRole, GetCallerIdentity, GetSessionToken } from './sts.js';
import { CreateUser, DeleteUser, GetUser, ListUsers } from './users.js';
import { CreateVirtualMFADevice, DeleteVirtualMFADevice, ListVirtualMFADevices } from './virtual-mfa-devices.js';

export const ACTIONS: Readonly<Record<string, ActionSpec>> = {
  // IAM 2010-05-08
  CreateUser,
  GetUser,
  ListUsers,
  DeleteUser,
  CreateAccessKey,
  ListAccessKeys,
  DeleteAccessKey,
  CreateLoginProfile,
  GetLoginProfile,
  DeleteLoginProfile,
  EnableMFADevice,
  ResyncMFADevice,
  DeactivateMFADevice,
  ListMFADevices,
  CreateVirtualMFADevice,
  DeleteVirtualMFADevice,
  ListVirtualMFADevices,
  CreateRole,
  GetRole,
  DeleteRole,
  // STS 2011-06-15
  GetSessionToken,
  AssumeRole,
  GetCallerIdentity,
};

export type { ActionSpec, ActionContext, MfaWindows } from './action.js';
