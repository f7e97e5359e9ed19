// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {IDisputeModule} from "../../contracts/interfaces/IDisputeModule.sol";
import {Billing} from "../../contracts/libraries/Billing.sol";
import {RentalState, RentalTerms, Usage} from "../../contracts/types/DataTypes.sol";
import {Base} from "./Base.t.sol";

/// @notice The fixture with disputes in use: a minimum bond of 100 USDC and a dispute bond of 5 USDC, the provider
/// bonded at the minimum, and the renter and the provider approving the module for dispute bonds.
abstract contract DisputeBase is Base {
    uint256 internal constant MIN_BOND = 100e6;
    uint256 internal constant DISPUTE_BOND = 5e6;
    string internal constant EVIDENCE = "ipfs://bafy-evidence";

    function setUp() public virtual override {
        super.setUp();
        vm.startPrank(owner);
        disputes.setMinBond(address(usdc), MIN_BOND);
        disputes.setDisputeBond(address(usdc), DISPUTE_BOND);
        vm.stopPrank();
        bondAs(provider, MIN_BOND);
        usdc.mint(provider, 1000e6);
        vm.prank(renter);
        usdc.approve(address(disputes), type(uint256).max);
    }

    /// @dev Mints `amount` USDC to `who` and bonds it.
    function bondAs(address who, uint256 amount) internal {
        usdc.mint(who, amount);
        vm.startPrank(who);
        usdc.approve(address(disputes), type(uint256).max);
        disputes.bond(address(usdc), amount);
        vm.stopPrank();
    }

    function openDisputeAs(address who, RentalTerms memory terms) internal returns (uint256 disputeId) {
        vm.prank(who);
        disputes.openDispute(terms, EVIDENCE);
        disputeId = disputes.dispute(idOf(terms)).arbitratorDisputeId;
    }

    /// @dev Two of the three committee members vote `ruling`: the quorum, so the committee rules on the module.
    function ruleByCommittee(uint256 disputeId, uint256 ruling) internal {
        vm.prank(judge1);
        committee.vote(disputeId, ruling);
        vm.prank(judge2);
        committee.vote(disputeId, ruling);
    }

    /// @dev The part of the rental's deposit not yet paid out: what a dispute outcome splits.
    function unpaidOf(RentalTerms memory terms) internal view returns (uint256) {
        RentalState memory s = stateOf(terms);
        return s.deposit - Billing.paidOut(terms.pricePerHour, terms.feeBps, terms.slaBps, s.paidSeconds);
    }

    function bondOf(address who) internal view returns (IDisputeModule.BondAccount memory) {
        return disputes.bondOf(who, address(usdc));
    }

    /// @dev A signed attestation of `terms` reporting `model` (a GPU model's keccak256).
    function attestModel(RentalTerms memory terms, uint64 seq, uint64 uptime, bytes32 model)
        internal
        view
        returns (Usage memory u, bytes memory sig)
    {
        u = usageAt(seq, uint64(block.timestamp), uptime);
        u.gpuModelHash = model;
        sig = signUsage(terms, u);
    }
}
