// Group buying (拼团), built on trade: orders are placed through trade's checkout at the group
// price, held from shipping until their group fills (trade's ship hold), and refunded by after-sales
// when it does not. Registers its order hooks and its expiry deadline when imported.
export {
  createGroupBuy,
  expireGroup,
  GROUP_EXPIRES,
  type Group,
  type GroupBuy,
  getGroup,
  groupBuyReport,
  joinGroup,
  membersOf,
  openGroup,
} from './group-buys';
export { groupBuyRoutes } from './routes';
