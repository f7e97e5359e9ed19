// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {DisputeModuleErrors} from "../../../../contracts/disputes/DisputeModuleErrors.sol";
import {IDisputeModule} from "../../../../contracts/interfaces/IDisputeModule.sol";
import {RentalTerms} from "../../../../contracts/types/DataTypes.sol";
import {DisputeBase} from "../../../utils/DisputeBase.t.sol";

contract SubmitEvidence_Unit_Test is DisputeBase {
    RentalTerms internal t;
    bytes32 internal id;

    function setUp() public override {
        super.setUp();
        t = openRental(ONE_HOUR_DEPOSIT, "evidence");
        id = idOf(t);
    }

    function test_RevertWhen_NoDispute() external {
        vm.expectRevert(abi.encodeWithSelector(DisputeModuleErrors.DisputeModule_NoDispute.selector, id));
        vm.prank(renter);
        disputes.submitEvidence(t, "ipfs://late");
    }

    function test_RevertWhen_NotParty() external {
        openDisputeAs(renter, t);
        vm.expectRevert(abi.encodeWithSelector(DisputeModuleErrors.DisputeModule_NotParty.selector, id, keeper));
        vm.prank(keeper);
        disputes.submitEvidence(t, "ipfs://spam");
    }

    function test_WhenParty() external {
        openDisputeAs(renter, t);
        vm.expectEmit(address(disputes));
        emit IDisputeModule.EvidenceSubmitted(id, renter, "ipfs://logs");
        vm.prank(renter);
        disputes.submitEvidence(t, "ipfs://logs");
        vm.expectEmit(address(disputes));
        emit IDisputeModule.EvidenceSubmitted(id, provider, "ipfs://metrics");
        vm.prank(provider);
        disputes.submitEvidence(t, "ipfs://metrics");
    }

    function test_RevertWhen_DisputeRuled() external {
        uint256 disputeId = openDisputeAs(renter, t);
        ruleByCommittee(disputeId, 1);
        vm.expectRevert(abi.encodeWithSelector(DisputeModuleErrors.DisputeModule_NoDispute.selector, id));
        vm.prank(renter);
        disputes.submitEvidence(t, "ipfs://late");
    }
}
