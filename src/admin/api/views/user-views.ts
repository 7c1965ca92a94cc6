import { z } from "zod";
import { Role } from "../../admin-users.js";
import { AccountStatus, EpochMs } from "./common-views.js";

/** A console user as the admin API shows it: never its password hash. */
export const AdminUserView = z.object({
  username: z.string(),
  role: Role,
  supplier: z.string().nullable().describe("The supplier code a supplier user belongs to; null for staff."),
  status: AccountStatus,
  createdAt: EpochMs,
  updatedAt: EpochMs,
});

export const SessionView = z.object({
  username: z.string(),
  role: Role,
  csrfToken: z.string().describe("Send as X-CSRF-Token on every POST/PUT/PATCH."),
  expiresAt: EpochMs,
  supplier: z.string().nullable().optional().describe("A supplier user's own supplier code (the one it reads); null for staff. Absent from the login answer."),
});
