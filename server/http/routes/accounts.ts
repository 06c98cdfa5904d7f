// Admins disable, enable and delete accounts (`PATCH /api/users/:id { disabled }`,
// `DELETE /api/users/:id[?notebooks=delete]`); the effects are in admin/accounts.ts.
import { Router } from 'express';
import type { Accounts } from '../../admin/accounts.ts';
import { requireAdmin } from '../auth.ts';
import { HttpError } from '../../errors.ts';

export function accountRoutes(accounts: Accounts): Router {
  const router = Router();

  router.patch('/api/users/:userId', async (req, res) => {
    const admin = requireAdmin(req);
    const disabled = (req.body as { disabled?: unknown } | undefined)?.disabled;
    if (typeof disabled !== 'boolean') throw new HttpError(400, 'invalid_body', 'send { "disabled": true } or { "disabled": false }');
    const user = await accounts.setDisabled(admin, String(req.params.userId), disabled);
    res.json({ id: user.id, name: user.name, admin: user.admin, disabled: user.disabled === true });
  });

  router.delete('/api/users/:userId', async (req, res) => {
    const admin = requireAdmin(req);
    const result = await accounts.remove(admin, String(req.params.userId), { deleteNotebooks: req.query.notebooks === 'delete' });
    res.json(result);
  });

  return router;
}
