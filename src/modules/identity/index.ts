export {
  authenticate,
  changePassword,
  contributeToMe,
  createAccount,
  ensureOperator,
  findAccountByLogin,
  getAccount,
  hashPassword,
  LOG_REDACT_PATHS,
  LOGIN_THROTTLE,
  loginRetryAt,
  openSession,
  registerTokenResolver,
  requireAccount,
  requireBuyer,
  requireOperator,
} from './identity';
export { identityRoutes } from './routes';
