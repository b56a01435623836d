export {
  authenticate,
  contributeToMe,
  createAccount,
  ensureOperator,
  findAccountByLogin,
  getAccount,
  registerTokenResolver,
  requireAccount,
  requireBuyer,
  requireOperator,
} from './identity';
export { identityRoutes } from './routes';
