// Server admins manage users. A new user's token is returned once; only its hash is stored.
import { Router } from 'express';
import type { Users } from '../../auth/users.ts';
import type { MetaStore } from '../../store/types.ts';
import { requireAdmin } from '../auth.ts';

export function userRoutes(users: Users, meta: MetaStore): Router {
  const router = Router();

  router.post('/api/users', async (req, res) => {
    requireAdmin(req);
    const body = (req.body ?? {}) as { name?: unknown; admin?: unknown };
    const { user, token } = await users.create(body.name as string, { admin: body.admin === true });
    res.status(201).json({ id: user.id, name: user.name, admin: user.admin, token });
  });

  // Admins only: in a classroom, students should not enumerate each other. Owners add members by name.
  router.get('/api/users', async (req, res) => {
    requireAdmin(req);
    const all = await meta.listUsers();
    res.json({ users: all.map((u) => ({ id: u.id, name: u.name })) });
  });

  return router;
}
