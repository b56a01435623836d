import { defineMessages } from '../../kernel/i18n';

defineMessages({
  warehouse_not_found: { 'zh-CN': '仓库不存在', en: 'Warehouse not found' },
  reservation_not_found: { 'zh-CN': '库存预占记录不存在', en: 'Stock reservation not found' },
  insufficient_stock: {
    'zh-CN': 'SKU {skuId} 库存不足：需要 {quantity} 件，单个仓库最多可售 {available} 件',
    en: 'Not enough stock for SKU {skuId}: {quantity} wanted, at most {available} available in one warehouse',
  },
  stock_below_reserved: {
    'zh-CN': '调整后实物库存 {onHand} 件将少于已被订单占用的 {reserved} 件',
    en: 'After this adjustment {onHand} units would be on hand, fewer than the {reserved} already reserved for orders',
  },
  reservation_already_committed: {
    'zh-CN': '该预占的货品已出库，不能再释放',
    en: 'The goods of this reservation have already shipped; it cannot be released',
  },
  reservation_changed: {
    'zh-CN': '库存占用刚刚发生了变化，请重试',
    en: 'The stock reservation changed meanwhile; try again',
  },
  reservation_already_released: {
    'zh-CN': '该预占已释放，不能再出库',
    en: 'This reservation was released; its goods cannot ship against it',
  },
  'field.warehouse_not_found': {
    'zh-CN': '不是本店的仓库',
    en: 'is not a warehouse of this shop',
  },
  'field.sku_not_found': { 'zh-CN': '不是本店的 SKU', en: 'is not a SKU of this shop' },
  'field.delta_zero': { 'zh-CN': '调整数量不能为 0', en: 'must not be 0' },
  'field.delta_positive': {
    'zh-CN': '原因为「{reason}」时调整数量须为正数',
    en: 'must be positive when the reason is {reason}',
  },
  'field.delta_negative': {
    'zh-CN': '原因为「{reason}」时调整数量须为负数',
    en: 'must be negative when the reason is {reason}',
  },
});
