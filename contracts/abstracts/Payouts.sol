// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {ReentrancyGuardTransient} from "@openzeppelin/contracts/utils/ReentrancyGuardTransient.sol";

import {IPayouts} from "../interfaces/IPayouts.sol";
import {Errors} from "../libraries/Errors.sol";
import {TokenTransfer} from "../libraries/TokenTransfer.sol";
import {Earnings} from "../types/DataTypes.sol";
import {EscrowGovernance} from "./EscrowGovernance.sol";
import {ProviderRegistry} from "./ProviderRegistry.sol";

/// @title Payouts
/// @notice Balances held for their owners: provider earnings (with the fees they owe) and credits. See {IPayouts}.
abstract contract Payouts is EscrowGovernance, ProviderRegistry, ReentrancyGuardTransient, IPayouts {
    mapping(address account => mapping(address token => uint256)) internal _credit;
    mapping(address provider => mapping(address token => Earnings)) internal _earnings;

    function credit(address account, address token) external view override returns (uint256) {
        return _credit[account][token];
    }

    function earnings(address provider_, address token) external view override returns (uint128 net, uint128 fees) {
        Earnings memory e = _earnings[provider_][token];
        return (e.net, e.fees);
    }

    function withdraw(address token, uint256 amount) external override nonReentrant {
        uint256 available = _credit[msg.sender][token];
        if (amount > available) revert Errors.GpuEscrow_InsufficientCredit(msg.sender, token, amount, available);
        // amount ≤ available was checked just above.
        unchecked {
            _credit[msg.sender][token] = available - amount;
        }
        emit Withdrawn(msg.sender, token, msg.sender, amount);
        TokenTransfer.push(token, msg.sender, amount);
    }

    function claimEarnings(address token) external override nonReentrant {
        _requireRegistered(msg.sender);
        Earnings memory e = _earnings[msg.sender][token];
        uint256 net = _keepOne(e.net);
        uint256 fees = _keepOne(e.fees);
        // Each part leaves one base unit behind (`_keepOne` returns at most value − 1), so neither underflows.
        unchecked {
            _earnings[msg.sender][token] = Earnings({net: uint128(e.net - net), fees: uint128(e.fees - fees)});
        }
        address treasury = _config.treasury;
        _credit[treasury][token] += fees;
        address payout = _providers[msg.sender].payout;
        emit EarningsClaimed(msg.sender, token, payout, net, fees);
        if (net != 0) TokenTransfer.push(token, payout, net);
    }

    function collectFees(address[] calldata providers, address token) external override nonReentrant {
        uint256 total;
        for (uint256 i; i < providers.length; ++i) {
            Earnings storage e = _earnings[providers[i]][token];
            uint256 fees = _keepOne(e.fees);
            // fees ≤ e.fees − 1 (see `_keepOne`); the sum of fees of one token fits its total supply.
            unchecked {
                e.fees -= uint128(fees);
                total += fees;
            }
        }
        address treasury = _config.treasury;
        _credit[treasury][token] += total;
        emit Credited(treasury, token, total);
    }

    /// @dev Adds a provider's share of a payment and the fee it carries to its earnings: one storage write.
    function _accrue(address provider_, address token, uint256 net, uint256 fee) internal {
        Earnings memory e = _earnings[provider_][token];
        _earnings[provider_][token] = Earnings({net: e.net + uint128(net), fees: e.fees + uint128(fee)});
    }

    /// @dev Pays `amount` to `to`, or credits it to `to` when the transfer fails.
    function _payOrCredit(address token, address to, uint256 amount) internal {
        if (amount == 0 || TokenTransfer.tryPush(token, to, amount)) return;
        _credit[to][token] += amount;
        emit Credited(to, token, amount);
    }

    /// @dev The part of `value` that can leave while one base unit stays behind.
    function _keepOne(uint128 value) private pure returns (uint256) {
        return value > 1 ? value - 1 : 0;
    }
}
