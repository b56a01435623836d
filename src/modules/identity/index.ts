export {
  authenticate,
  contributeToMe,
  createAccount,
  ensureOperator,
  findAccountByLogin,
  getAccount,
  hashPassword,
  openSession,
  registerTokenResolver,
  requireAccount,
  requireBuyer,
  requireOperator,
} from './identity';
export { identityRoutes } from './routes';
